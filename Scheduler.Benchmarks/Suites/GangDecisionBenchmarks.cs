using BenchmarkDotNet.Attributes;
using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Benchmarks.Simulation;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Suites;

/// <summary>
/// One group decision (admission + placement) on a GB200 NVL72 cluster, for a 16-pod training gang
/// (required block, preferred NVLink domain), a disaggregated-inference service and a single-GPU
/// pod (a group of one). Each op admits then rolls the placements back, so every op sees the same
/// cluster.
/// </summary>
/// <remarks>
/// Two cluster states: <see cref="ClusterLoad.Busy60"/>, 60% of nodes fully busy at random (most
/// domains are ruled out by their aggregates), and <see cref="ClusterLoad.Light2"/>, 2% of nodes
/// running one 1-GPU pod (nearly every NVLink domain is feasible, each with a slightly different
/// free count): the second is what makes the cost of ordering candidate domains visible.
/// </remarks>
[MemoryDiagnoser]
public class GangDecisionBenchmarks
{
    public enum ClusterLoad
    {
        Busy60,
        Light2,
    }

    private ClusterSnapshot _snapshot = null!;
    private GangRequest _training = null!;
    private GangRequest _disagg = null!;
    private GangRequest _single = null!;
    private readonly GangAdmission _admission = new();

    [Params(1_000, 10_000, 100_000)]
    public int Nodes { get; set; }

    [Params(ClusterLoad.Busy60, ClusterLoad.Light2)]
    public ClusterLoad Load { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var profile = ClusterProfile.Gb200Nvl72;
        var cache = new ClusterCache();
        cache.SetTopology(profile.Topology);
        var rng = new Random(42);
        foreach (var n in profile.Nodes(Nodes))
        {
            cache.AddOrUpdateNode(n);
            // Busy60: 60% of nodes fully busy, scattered, so the search must skip domains rather than
            // find an empty cluster. Light2: a few single-GPU pods, so most domains stay candidates.
            if (Load == ClusterLoad.Busy60 && rng.NextDouble() < 0.6) cache.AddOrUpdatePod(Pods.Gpu("busy", n.Name, 4, node: n.Name));
            if (Load == ClusterLoad.Light2 && rng.NextDouble() < 0.02) cache.AddOrUpdatePod(Pods.Gpu("busy", n.Name, 1, node: n.Name));
        }
        _snapshot = new ClusterSnapshot();
        cache.UpdateSnapshot(_snapshot);
        TopologySpec? Find(string name) => name == "default" ? profile.Topology : null;

        var training = new PodGroupSpec(new ObjectKey("t", "train"))
        {
            MinMember = 16,
            TopologyConstraint = new("default", TopologySpec.BlockLabel, TopologySpec.NvLinkCliqueLabel),
        };
        _training = new GangRequest(PodGroupValidator.Validate(training, Find).Tree!, Pods.Replicas("t", "w", 16, 4, "train", null));

        var disagg = new PodGroupSpec(new ObjectKey("s", "llama"))
        {
            MinSubGroup = 3,
            TopologyConstraint = new("default", TopologySpec.BlockLabel),
            SubGroups =
            [
                new("router", MinMember: 1),
                new("prefill", MinSubGroup: 2),
                new("prefill-0", "prefill", MinMember: 4, TopologyConstraint: new(RequiredTopologyLevel: TopologySpec.NvLinkCliqueLabel)),
                new("prefill-1", "prefill", MinMember: 4, TopologyConstraint: new(RequiredTopologyLevel: TopologySpec.NvLinkCliqueLabel)),
                new("decode", MinMember: 4, TopologyConstraint: new(PreferredTopologyLevel: TopologySpec.NvLinkCliqueLabel)),
            ],
        };
        var pods = new List<Pod> { Pods.Gpu("s", "router", 0, group: "llama", subGroup: "router") };
        pods.AddRange(Pods.Replicas("s", "p0", 4, 4, "llama", "prefill-0"));
        pods.AddRange(Pods.Replicas("s", "p1", 4, 4, "llama", "prefill-1"));
        pods.AddRange(Pods.Replicas("s", "d", 4, 4, "llama", "decode"));
        _disagg = new GangRequest(PodGroupValidator.Validate(disagg, Find).Tree!, pods);

        // A pod without a PodGroup: a group of one, packed on the default topology.
        var single = Pods.Gpu("b", "one", 1);
        _single = new GangRequest(PodGroupValidator.Validate(PodGroupSpec.ForSinglePod(single), Find, "default").Tree!, [single]);
    }

    [Benchmark]
    public bool TrainingGang16x4() => DecideAndRelease(_training);

    [Benchmark]
    public bool DisaggregatedService() => DecideAndRelease(_disagg);

    [Benchmark]
    public bool SingleGpuPod() => DecideAndRelease(_single);

    private bool DecideAndRelease(GangRequest request)
    {
        // A session's statement holds the decision's placements; discarding it undoes exactly what the
        // decision took on the snapshot (the public Admit commits them for the caller to assume).
        var session = new Session(_snapshot, _admission.Profile, DateTimeOffset.MinValue);
        var d = _admission.Admit(session, request, null, out _);
        session.Statement.Discard();
        return d.Admitted;
    }
}
