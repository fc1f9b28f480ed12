using System.Collections.Immutable;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// A seeded stream of groups with Poisson arrivals and exponential run times. The arrival rate is
/// set so the offered load (GPUs × run time arriving per second) is <see cref="WorkloadSettings.Load"/>
/// times the cluster's GPUs: at load ≥ 1 work queues and the schedulers' packing decides how much of
/// it runs.
/// </summary>
/// <remarks>
/// Shapes, by node kind (GB200 NVL72: 4 GPUs per node, 72 per NVLink domain; HGX H100: 8 per node,
/// NVLink inside the node):
/// <list type="bullet">
/// <item>Disaggregated service: router leaf of 1–2 CPU-only pods; "prefill" middle group of 2–4
/// replica leaves, minSubGroup = replicas − 1 (one replica is elastic), each replica 2–4 pods × 4 GPUs
/// (GB200) or 1–2 pods × 8 GPUs (HGX) required in one NVLink domain; decode leaf of 2–8 × 4 GPUs
/// (GB200) or 1–4 × 8 GPUs (HGX), preferred in one NVLink domain. The whole group: required block,
/// preferred NVLink domain. Mean run time 1 h.</item>
/// <item>Training gang: 8–64 pods × all GPUs of a node, required block, preferred NVLink domain;
/// mean run time 40 min.</item>
/// <item>Single-GPU pod, no PodGroup; mean run time 10 min.</item>
/// </list>
/// A replica whose GPUs exceed its kind's NVLink domain (an HGX replica of 2 × 8 GPUs: the domain is
/// one node) requires the tightest wider level that can hold it (rack, else block), and a training
/// gang is capped at one block's nodes (an HGX block has 32): otherwise the generator would emit
/// groups no scheduler could ever admit.
/// </remarks>
public sealed class WorkloadGenerator
{
    public const string DisaggMix = "disagg";
    public const string TrainingMix = "training";
    public const string MixedMix = "mixed";

    public static IReadOnlyList<string> MixNames { get; } = [DisaggMix, TrainingMix, MixedMix];

    private const double MinDuration = 60;
    private static readonly (int Pods, int Weight)[] TrainingSizes = [(8, 30), (16, 25), (24, 12), (32, 15), (48, 8), (64, 10)];

    private readonly SimulatedCluster _cluster;
    private readonly WorkloadSettings _settings;
    private readonly (WorkloadKind Kind, double Weight)[] _mix;
    private readonly int _blockDepth;
    private readonly int _cliqueDepth;

    public WorkloadGenerator(SimulatedCluster cluster, WorkloadSettings settings)
    {
        _cluster = cluster;
        _settings = settings;
        _mix = settings.Mix switch
        {
            DisaggMix => [(WorkloadKind.Disaggregated, 1)],
            TrainingMix => [(WorkloadKind.Training, 1)],
            MixedMix => [(WorkloadKind.Disaggregated, 0.2), (WorkloadKind.Training, 0.15), (WorkloadKind.SingleGpu, 0.65)],
            _ => throw new ArgumentException($"unknown workload mix \"{settings.Mix}\"", nameof(settings)),
        };
        _blockDepth = cluster.DepthOf(TopologySpec.BlockLabel);
        _cliqueDepth = cluster.DepthOf(TopologySpec.NvLinkCliqueLabel);
    }

    /// <summary>Arrivals per simulated second that make the offered load <see cref="WorkloadSettings.Load"/>.</summary>
    public double ArrivalRate { get; private set; }

    /// <summary>Background groups (the warm start, all at t = 0) then arrivals, in arrival order.</summary>
    public IReadOnlyList<Workload> Generate()
    {
        // The rate comes from a separate stream of sample shapes, so changing the duration or the
        // warm start does not shift the arrivals themselves.
        var sampler = new Random(unchecked(_settings.Seed * 7919 + 17));
        double gpuSeconds = 0;
        const int samples = 4096;
        for (var i = 0; i < samples; i++)
        {
            var w = Draw(sampler, i, 0, background: false);
            gpuSeconds += w.Gpus * w.Duration;
        }
        ArrivalRate = _settings.Load * _cluster.TotalGpus / (gpuSeconds / samples);

        var result = new List<Workload>();
        var warmRng = new Random(unchecked(_settings.Seed * 31 + 7));
        long warmGpus = 0;
        var id = 0;
        while (warmGpus < _settings.WarmFraction * _cluster.TotalGpus)
        {
            var w = Draw(warmRng, id++, 0, background: true);
            warmGpus += w.Gpus;
            result.Add(w);
        }

        var rng = new Random(_settings.Seed);
        var t = 0.0;
        var arrivals = 0;
        while (arrivals < _settings.MaxArrivals)
        {
            t += -Math.Log(1 - rng.NextDouble()) / ArrivalRate;
            if (t > _settings.Duration) break;
            result.Add(Draw(rng, id++, t, background: false));
            arrivals++;
        }
        return result;
    }

    private Workload Draw(Random rng, int id, double arrival, bool background)
    {
        var kind = Pick(rng, _mix);
        var node = PickNodeKind(rng);
        var created = SimulatedClock.Epoch.AddSeconds(arrival);
        return kind switch
        {
            WorkloadKind.Disaggregated => Disaggregated(rng, id, node, arrival, created, background),
            WorkloadKind.Training => Training(rng, id, node, arrival, created, background),
            _ => Single(rng, id, node, arrival, created, background),
        };
    }

    private Workload Disaggregated(Random rng, int id, NodeKind node, double arrival, DateTimeOffset created, bool background)
    {
        var ns = "inference";
        var name = $"svc-{id:D6}";
        var gb200 = node.GpusPerNode <= 4;
        var routers = rng.Next(1, 3);
        var replicas = rng.Next(2, 5);
        var podsPerReplica = gb200 ? rng.Next(2, 5) : rng.Next(1, 3);
        var decode = gb200 ? rng.Next(2, 9) : rng.Next(1, 5);
        var gpus = node.GpusPerNode;
        var replicaLevel = TightestLevelHolding(node, podsPerReplica * gpus, _cliqueDepth);

        var subGroups = ImmutableArray.CreateBuilder<SubGroupSpec>();
        subGroups.Add(new SubGroupSpec("router", MinMember: routers));
        subGroups.Add(new SubGroupSpec("prefill", MinSubGroup: Math.Max(1, replicas - 1)));
        for (var r = 0; r < replicas; r++)
            subGroups.Add(new SubGroupSpec($"prefill-{r}", "prefill", MinMember: podsPerReplica,
                TopologyConstraint: new TopologyConstraint(RequiredTopologyLevel: replicaLevel)));
        subGroups.Add(new SubGroupSpec("decode", MinMember: decode,
            TopologyConstraint: new TopologyConstraint(PreferredTopologyLevel: TopologySpec.NvLinkCliqueLabel)));
        var spec = new PodGroupSpec(new ObjectKey(ns, name))
        {
            MinSubGroup = 3,
            CreationTimestamp = created,
            TopologyConstraint = new TopologyConstraint("default", TopologySpec.BlockLabel, TopologySpec.NvLinkCliqueLabel),
            SubGroups = subGroups.ToImmutable(),
        };

        var pods = ImmutableArray.CreateBuilder<Pod>();
        for (var i = 0; i < routers; i++) pods.Add(MakePod(ns, $"{name}-router-{i}", 0, 4_000, 16L << 30, name, "router", node, created));
        for (var r = 0; r < replicas; r++)
            for (var i = 0; i < podsPerReplica; i++)
                pods.Add(GpuPod(ns, $"{name}-prefill-{r}-{i}", gpus, name, $"prefill-{r}", node, created));
        for (var i = 0; i < decode; i++) pods.Add(GpuPod(ns, $"{name}-decode-{i}", gpus, name, "decode", node, created));
        return new Workload(id, WorkloadKind.Disaggregated, node, arrival, Duration(rng, 3600), spec, pods.ToImmutable(), background);
    }

    private Workload Training(Random rng, int id, NodeKind node, double arrival, DateTimeOffset created, bool background)
    {
        var ns = "training";
        var name = $"train-{id:D6}";
        var nodesPerBlock = (int)(_cluster.MaxDomainGpu(node, _blockDepth) / node.GpusPerNode);
        var size = Math.Min(Pick(rng, TrainingSizes.Select(s => (s.Pods, (double)s.Weight)).ToArray()), nodesPerBlock);
        var spec = new PodGroupSpec(new ObjectKey(ns, name))
        {
            MinMember = size,
            CreationTimestamp = created,
            TopologyConstraint = new TopologyConstraint("default", TopologySpec.BlockLabel, TopologySpec.NvLinkCliqueLabel),
        };
        var pods = ImmutableArray.CreateBuilder<Pod>(size);
        for (var i = 0; i < size; i++) pods.Add(GpuPod(ns, $"{name}-w-{i}", node.GpusPerNode, name, null, node, created));
        return new Workload(id, WorkloadKind.Training, node, arrival, Duration(rng, 2400), spec, pods.MoveToImmutable(), background);
    }

    private static Workload Single(Random rng, int id, NodeKind node, double arrival, DateTimeOffset created, bool background)
    {
        var pod = MakePod("batch", $"gpu-{id:D6}", 1, 8_000, 64L << 30, null, null, node, created);
        return new Workload(id, WorkloadKind.SingleGpu, node, arrival, Duration(rng, 600), PodGroupSpec.ForSinglePod(pod), [pod], background);
    }

    /// <summary>
    /// The level a group of <paramref name="gpus"/> GPUs is required in: <paramref name="preferredDepth"/>
    /// when its domains can hold that many, else the tightest wider level that can.
    /// </summary>
    private string TightestLevelHolding(NodeKind node, long gpus, int preferredDepth)
    {
        for (var depth = preferredDepth; depth >= 1; depth--)
            if (_cluster.MaxDomainGpu(node, depth) >= gpus) return _cluster.Topology.Levels[depth - 1];
        return _cluster.Topology.Levels[0];
    }

    private NodeKind PickNodeKind(Random rng)
    {
        if (_cluster.Kinds.Count == 1) return _cluster.Kinds[0];
        // In proportion to the GPUs of each kind, so both halves of a mixed cluster are equally loaded.
        return Pick(rng, [.. _cluster.Kinds.Select(k => (k, (double)_cluster.MaxDomainGpu(k, 0)))]);
    }

    private static Pod GpuPod(string ns, string name, int gpus, string group, string? subGroup, NodeKind node, DateTimeOffset created) =>
        // CPU and memory in proportion to the GPUs, below the node's share so GPUs are what runs out.
        MakePod(ns, name, gpus, gpus * node.Profile.MilliCpuPerNode / node.GpusPerNode * 3 / 4,
            gpus * (node.Profile.MemoryPerNode / node.GpusPerNode) / 2, group, subGroup, node, created);

    private static Pod MakePod(string ns, string name, long gpus, long milliCpu, long memory, string? group, string? subGroup,
        NodeKind node, DateTimeOffset created) =>
        new(new ObjectKey(ns, name), new ResourceVector(milliCpu, memory, gpus, 0))
        {
            Group = group is null ? null : new GroupMembership(group, subGroup),
            NodeSelector = node.Selector,
            CreationTimestamp = created,
            SchedulerName = "quorum",
        };

    private static double Duration(Random rng, double mean) => MinDuration - (mean - MinDuration) * Math.Log(1 - rng.NextDouble());

    private static T Pick<T>(Random rng, (T Item, double Weight)[] choices)
    {
        var total = choices.Sum(c => c.Weight);
        var x = rng.NextDouble() * total;
        foreach (var (item, weight) in choices)
        {
            if (x < weight) return item;
            x -= weight;
        }
        return choices[^1].Item;
    }
}
