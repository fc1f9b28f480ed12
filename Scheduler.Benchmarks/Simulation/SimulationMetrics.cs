using System.Diagnostics;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Simulation;

/// <summary>
/// What one simulation measures. Definitions (the README repeats them):
/// <list type="bullet">
/// <item>Per-group decision latency: for each step that tries groups, the wall time of
/// <c>cache.UpdateSnapshot</c> + building the requests + the scheduler's decision for the whole
/// step (<c>SchedulingCycle.Run</c>: admission, placement, extras), divided by the groups tried in
/// the step, recorded once per group tried. Binding (assume + confirm in the cache) is not timed.</item>
/// <item>Pods per second: pods placed / total timed seconds.</item>
/// <item>GPU allocation: allocated / total GPUs, read from the snapshot after the step's placements,
/// averaged over the steps after which some group still waits below its minimum (demand is unmet,
/// so idle GPUs are the scheduler's doing). Counts GPUs held by partial gangs.</item>
/// <item>Fragmentation: over the same steps (when any GPU is free), free GPUs in NVLink domains that
/// are partly used (0 &lt; free &lt; allocatable) / all free GPUs: the share of free capacity a
/// job wanting a whole NVLink domain cannot use.</item>
/// <item>Tightest-domain rate: over started groups with at least two GPU pods, the fraction whose GPU
/// pods (as bound when the group started) all lie in one domain of the deepest topology level at
/// which some domain of nodes of the group's kind has at least as many allocatable GPUs as those pods
/// request. Single-pod groups are excluded: they are trivially in one domain.</item>
/// <item>Time-weighted GPU allocation: allocated GPUs integrated over the whole simulated time
/// (as the snapshot shows them after each step) / (GPUs × simulated seconds); samples every
/// moment, whether work waits or not, so it compares schedulers on the same footing.</item>
/// <item>Partial gangs: groups holding some pods but below their minimum at the end of a step.</item>
/// </list>
/// </summary>
public sealed class SimulationMetrics
{
    private readonly List<double> _groupLatencyMs = [];
    private readonly List<double> _stepMs = [];
    private readonly HashSet<int> _partialGroups = [];
    private readonly List<int> _cliqueDomains = [];
    private readonly SimulatedCluster _cluster;
    private long _decisionTicks;
    private double _allocationSum, _usefulAllocationSum, _partialGpuSum;
    private int _allocationSamples;
    private double _fragmentationSum;
    private int _fragmentationSamples;
    private int _tight, _tightEligible;
    private double _lastTime, _gpuSeconds;
    private long _lastAllocated;

    public SimulationMetrics(SimulatedCluster cluster) => _cluster = cluster;

    public int Groups { get; set; }
    public int Pods { get; set; }
    public int StartedGroups { get; set; }
    public int TimedOutGroups { get; set; }
    public int PodsPlaced { get; set; }
    public int Steps { get; private set; }
    public int Decisions { get; private set; }
    public int StepsWithGen2Collection { get; private set; }
    public int PartialPeak { get; private set; }
    public int PartialAtEnd { get; set; }

    /// <summary>Once the snapshot holds the topology: the NVLink domains whose fragmentation is sampled.</summary>
    public void Index(TopologyTree tree)
    {
        var depth = _cluster.DepthOf(TopologySpec.NvLinkCliqueLabel);
        if (depth > 0) tree.DomainsAt(TopologyTree.RootDomain, depth, _cliqueDomains);
    }

    /// <summary>Time-weighted allocation: the level set by the last <see cref="Allocated"/> held until <paramref name="now"/>.</summary>
    public void Advance(double now)
    {
        if (now > _lastTime) _gpuSeconds += _lastAllocated * (now - _lastTime);
        _lastTime = Math.Max(_lastTime, now);
    }

    /// <summary>GPUs bound at the end of a step (kept by the simulator: the snapshot lags departures until the next update).</summary>
    public void Allocated(long gpus) => _lastAllocated = gpus;

    /// <param name="gen2">A full garbage collection ran during the step: its pause is in the timing.</param>
    public void RecordStep(long elapsedTicks, int groupsTried, bool gen2)
    {
        Steps++;
        if (gen2) StepsWithGen2Collection++;
        Decisions += groupsTried;
        _decisionTicks += elapsedTicks;
        var ms = elapsedTicks * 1000.0 / Stopwatch.Frequency;
        _stepMs.Add(ms);
        for (var i = 0; i < groupsTried; i++) _groupLatencyMs.Add(ms / groupsTried);
    }

    /// <summary>After a step that left work waiting: allocation, fragmentation and partial gangs.</summary>
    public void SampleUtilisation(TopologyTree tree, IReadOnlyList<GroupState> waiting)
    {
        var root = TopologyTree.RootDomain;
        var total = tree.AllocatableGpu(root);
        var free = tree.FreeGpu(root);
        long partialGpus = 0;
        var partial = 0;
        foreach (var g in waiting)
        {
            if (g.Bound == 0) continue;
            partial++;
            partialGpus += g.BoundGpus;
            _partialGroups.Add(g.Workload.Id);
        }
        PartialPeak = Math.Max(PartialPeak, partial);
        _allocationSamples++;
        _allocationSum += (double)(total - free) / total;
        _usefulAllocationSum += (double)(total - free - partialGpus) / total;
        _partialGpuSum += (double)partialGpus / total;

        if (free <= 0 || _cliqueDomains.Count == 0) return;
        long stranded = 0, freeInDomains = 0;
        foreach (var d in _cliqueDomains)
        {
            var f = tree.FreeGpu(d);
            freeInDomains += f;
            if (f > 0 && f < tree.AllocatableGpu(d)) stranded += f;
        }
        if (freeInDomains == 0) return;
        _fragmentationSum += (double)stranded / freeInDomains;
        _fragmentationSamples++;
    }

    /// <summary>When a group starts: are its GPU pods in one domain of the tightest level that could hold them?</summary>
    public void RecordStart(GroupState g, ClusterSnapshot snapshot, TopologyTree tree)
    {
        StartedGroups++;
        long gpus = 0;
        var leaves = new List<int>();
        foreach (var p in g.Members)
        {
            if (!p.IsBound || p.Requests.Gpu == 0) continue;
            gpus += p.Requests.Gpu;
            leaves.Add(tree.LeafOf(snapshot.Find(p.NodeName!)!.Slot));
        }
        if (leaves.Count < 2) return;
        var depth = tree.Depth;
        while (depth > 0 && _cluster.MaxDomainGpu(g.Workload.NodeKind, depth) < gpus) depth--;
        _tightEligible++;
        var domain = tree.AncestorAt(leaves[0], depth);
        if (leaves.All(l => tree.AncestorAt(l, depth) == domain)) _tight++;
    }

    public SimulationReport Report(string scheduler, int nodes, long gpus, double simulatedSeconds, double wallSeconds)
    {
        var sorted = _groupLatencyMs.Order().ToArray();
        var steps = _stepMs.Order().ToArray();
        var decisionSeconds = (double)_decisionTicks / Stopwatch.Frequency;
        return new SimulationReport(
            Scheduler: scheduler,
            Nodes: nodes,
            Gpus: gpus,
            Pods: Pods,
            Groups: Groups,
            AdmittedGroups: StartedGroups,
            TimedOutGroups: TimedOutGroups,
            PodsPlaced: PodsPlaced,
            Steps: Steps,
            Decisions: Decisions,
            StepsWithGen2Collection: StepsWithGen2Collection,
            LatencyMs: new LatencySummary(Percentile(sorted, 0.50), Percentile(sorted, 0.90), Percentile(sorted, 0.99), sorted.Length == 0 ? 0 : sorted[^1]),
            StepLatencyMs: new LatencySummary(Percentile(steps, 0.50), Percentile(steps, 0.90), Percentile(steps, 0.99), steps.Length == 0 ? 0 : steps[^1]),
            DecisionSeconds: decisionSeconds,
            PodsPerSecond: decisionSeconds > 0 ? PodsPlaced / decisionSeconds : 0,
            GpuAllocation: Mean(_allocationSum, _allocationSamples),
            UsefulGpuAllocation: Mean(_usefulAllocationSum, _allocationSamples),
            UtilisationSamples: _allocationSamples,
            TightestDomainRate: Mean(_tight, _tightEligible),
            TightestDomainGroups: _tightEligible,
            Fragmentation: Mean(_fragmentationSum, _fragmentationSamples),
            FragmentationSamples: _fragmentationSamples,
            TimeWeightedGpuAllocation: simulatedSeconds > 0 ? _gpuSeconds / simulatedSeconds / gpus : 0,
            PartialGangGroups: _partialGroups.Count,
            PartialGangPeak: PartialPeak,
            PartialGangsAtEnd: PartialAtEnd,
            PartialGangGpuShare: Mean(_partialGpuSum, _allocationSamples),
            // Measured by the simulator once the samples are released.
            ManagedMemoryBytesPerNode: 0,
            ManagedMemoryBytesTotal: 0,
            SimulatedSeconds: simulatedSeconds,
            WallSeconds: wallSeconds);
    }

    /// <summary>Drops the samples, so a memory measurement that follows sees only the scheduler's state.</summary>
    public void ReleaseSamples()
    {
        _groupLatencyMs.Clear();
        _groupLatencyMs.TrimExcess();
        _stepMs.Clear();
        _stepMs.TrimExcess();
        _partialGroups.Clear();
        _partialGroups.TrimExcess();
    }

    private static double Mean(double sum, int n) => n == 0 ? 0 : sum / n;

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static double Percentile(double[] sorted, double q) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
}
