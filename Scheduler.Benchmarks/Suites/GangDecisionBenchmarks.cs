using BenchmarkDotNet.Attributes;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Simulation;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Benchmarks.Suites;

/// <summary>
/// One group decision (admission + placement) on a GB200 NVL72 cluster that is 60% full, for a
/// 16-pod training gang (required block, preferred NVLink domain) and a disaggregated-inference
/// service. Each op admits then releases the placements, so every op sees the same cluster.
/// </summary>
[MemoryDiagnoser]
public class GangDecisionBenchmarks
{
    private ClusterSnapshot _snapshot = null!;
    private GangRequest _training = null!;
    private GangRequest _disagg = null!;
    private readonly GangAdmission _admission = new();

    [Params(1_000, 10_000, 100_000)]
    public int Nodes { get; set; }

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
            // 60% of nodes fully busy, scattered: the search must skip domains, not find an empty cluster.
            if (rng.NextDouble() < 0.6) cache.AddOrUpdatePod(Pods.Gpu("busy", n.Name, 4, node: n.Name));
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
    }

    [Benchmark]
    public bool TrainingGang16x4() => DecideAndRelease(_training);

    [Benchmark]
    public bool DisaggregatedService() => DecideAndRelease(_disagg);

    private bool DecideAndRelease(GangRequest request)
    {
        var d = _admission.Admit(_snapshot, request);
        var byName = request.Members.ToDictionary(p => p.Key);
        foreach (var p in d.Placements)
            _snapshot.Reserve(_snapshot.Find(p.Node)!.Slot, default(ResourceVector) - byName[p.Pod].Requests);
        return d.Admitted;
    }
}
