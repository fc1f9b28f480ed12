using System.Globalization;
using System.Text.Json;
using Quorum.Benchmarks.Simulation;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Queue;
using Quorum.Core.Snapshot;

namespace Quorum.Benchmarks.Optimality;

/// <summary>One batch: what Quorum's cycle admitted against what the exact solver found.</summary>
/// <param name="ExactGivenQuorumGpus">
/// The optimum when every group Quorum admitted must stay admitted: above <paramref name="QuorumGpus"/>
/// means Quorum's placement stranded room another queued group could have used; equal means the gap
/// to <paramref name="ExactGpus"/> comes from admitting in queue order rather than by size.
/// </param>
public sealed record OptimalityTrial(int Seed, long QuorumGpus, int QuorumGroups, long ExactGpus, int ExactGroups, long ExactGivenQuorumGpus, bool ExactProven, double SolverSeconds)
{
    public double Ratio => ExactGpus == 0 ? 1 : (double)QuorumGpus / ExactGpus;
}

/// <summary>
/// <c>optimality</c>: on small clusters, a batch of groups from the simulator's generator queued at
/// once on a partly used cluster; Quorum's real cycle (minima only) against CP-SAT's best admission,
/// reported as Quorum's admitted GPUs / the exact optimum's.
/// </summary>
public static class OptimalityCheck
{
    public const string Usage = "usage: Scheduler.Benchmarks optimality [--profile gb200-nvl72|hgx-h100|mixed] [--nodes N (18..500)] [--groups N] [--trials N] [--busy F] [--seed S] [--time-limit SECONDS] [--json FILE]";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static int Run(string[] args)
    {
        string profile = SimulatedCluster.Gb200Profile;
        int nodes = 72, groups = 10, trials = 5, seed = 1;
        double busy = 0.4, timeLimit = 20;
        string? json = null;
        for (var i = 0; i < args.Length; i++)
        {
            var flag = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{flag} needs a value");
            int Int(int lo, int hi)
            {
                var v = Value();
                if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < lo || n > hi)
                    throw new ArgumentException($"{flag}: \"{v}\" is not a whole number from {lo} to {hi}");
                return n;
            }
            double Double(double lo, double hi)
            {
                var v = Value();
                if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || d < lo || d > hi)
                    throw new ArgumentException($"{flag}: \"{v}\" is not a number from {lo} to {hi}");
                return d;
            }
            switch (flag)
            {
                case "--profile":
                    profile = Value();
                    if (!SimulatedCluster.ProfileNames.Contains(profile)) throw new ArgumentException($"--profile: \"{profile}\" is not one of {string.Join(", ", SimulatedCluster.ProfileNames)}");
                    break;
                case "--nodes": nodes = Int(18, 500); break;
                case "--groups": groups = Int(1, 40); break;
                case "--trials": trials = Int(1, 100); break;
                case "--seed": seed = Int(0, int.MaxValue); break;
                case "--busy": busy = Double(0, 0.95); break;
                case "--time-limit": timeLimit = Double(0.1, 600); break;
                case "--json": json = Value(); break;
                default: throw new ArgumentException($"unknown flag {flag}");
            }
        }

        var results = new List<OptimalityTrial>();
        Console.WriteLine($"Optimality check: {profile}, {nodes} nodes, {groups} groups per batch, {busy:P0} of GPUs busy, CP-SAT limit {timeLimit} s");
        Console.WriteLine("  seed  quorum GPUs (groups)  exact GPUs (groups)  exact keeping quorum's  proven  ratio");
        for (var t = 0; t < trials; t++)
        {
            var r = Trial(profile, nodes, groups, busy, seed + t, timeLimit);
            results.Add(r);
            Console.WriteLine($"  {r.Seed,4}  {r.QuorumGpus,11} ({r.QuorumGroups,3})  {r.ExactGpus,10} ({r.ExactGroups,3})  {r.ExactGivenQuorumGpus,22}  {(r.ExactProven ? "yes" : "no"),6}  {r.Ratio,5:F3}");
        }
        var mean = results.Average(r => r.Ratio);
        var worst = results.Min(r => r.Ratio);
        Console.WriteLine($"  Quorum / exact admitted GPUs: mean {mean:F3}, worst {worst:F3} ({results.Count(r => r.ExactProven)}/{results.Count} optima proven)");
        var stranded = results.Sum(r => r.ExactGivenQuorumGpus - r.QuorumGpus);
        Console.WriteLine($"  GPUs more groups could have used beside Quorum's choice (stranded by placement): {stranded} in all trials");
        if (json is not null)
        {
            File.WriteAllText(json, JsonSerializer.Serialize(new
            {
                optimality = new { profile, nodes, groups, busy, meanRatio = Math.Round(mean, 4), worstRatio = Math.Round(worst, 4), trials = results },
            }, Json));
            Console.WriteLine($"wrote {json}");
        }
        return 0;
    }

    public static OptimalityTrial Trial(string profile, int nodes, int groups, double busy, int seed, double timeLimit)
    {
        var cluster = SimulatedCluster.Build(profile, nodes);
        var cache = new ClusterCache();
        cache.SetTopology(cluster.Topology);
        foreach (var n in cluster.Nodes) cache.AddOrUpdateNode(n);
        // A partly used cluster: whole GPUs taken on random nodes until `busy` of them are.
        var rng = new Random(seed);
        var target = (long)(cluster.TotalGpus * busy);
        long taken = 0;
        for (var i = 0; taken < target && i < nodes * 8; i++)
        {
            var node = cluster.Nodes[rng.Next(nodes)];
            var used = cache.RequestedOn(node.Name).Gpu;
            var gpus = Math.Min(node.Allocatable.Gpu - used, 1 + rng.Next(4));
            if (gpus <= 0) continue;
            cache.AddOrUpdatePod(new Pod(new ObjectKey("busy", $"b{i}"), new ResourceVector(1000, 1L << 30, gpus, 0)) { NodeName = node.Name });
            taken += gpus;
        }

        var workloads = new WorkloadGenerator(cluster, new WorkloadSettings(WorkloadGenerator.MixedMix, seed, 1e9, 1.0, 0, groups))
            .Generate().Where(w => !w.Background).Take(groups).ToList();
        var topology = cluster.Topology;
        var batch = workloads.Select(w => new GangRequest(
            PodGroupValidator.Validate(w.Spec, n => n == topology.Name ? topology : null, topology.Name).Tree!, w.Pods)).ToList();

        var forQuorum = new ClusterSnapshot();
        cache.UpdateSnapshot(forQuorum);
        var admission = new GangAdmission(SchedulerProfile.Default(new PlacementOptions { DefaultTopology = topology.Name, StarvationThreshold = TimeSpan.MaxValue }));
        var decisions = new SchedulingCycle(admission, TimeProvider.System).Run(forQuorum, batch).Decisions;
        var requests = batch.ToDictionary(b => b.Key);
        var quorumGpus = decisions.Where(d => d.Admitted)
            .Sum(d => d.Placements.Where(p => !p.Extra).Sum(p => requests[d.Group].Members.First(m => m.Key == p.Pod).Requests.Gpu));

        var forExact = new ClusterSnapshot();
        cache.UpdateSnapshot(forExact);
        var exact = ExactAdmission.Solve(forExact, forExact.Tree(topology.Name)!, batch, timeLimit);
        var admitted = decisions.Where(d => d.Admitted).Select(d => d.Group).ToHashSet();
        var given = ExactAdmission.Solve(forExact, forExact.Tree(topology.Name)!, batch, timeLimit, admitted);
        return new OptimalityTrial(seed, quorumGpus, admitted.Count, exact.AdmittedGpus, exact.AdmittedGroups, given.AdmittedGpus,
            exact.Optimal && given.Optimal, Math.Round(exact.Seconds + given.Seconds, 2));
    }
}
