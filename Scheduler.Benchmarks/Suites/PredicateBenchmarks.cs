using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Quorum.Core.Model;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Snapshot;

namespace Quorum.Benchmarks.Suites;

/// <summary>
/// The per-node filter chain on the placement hot path (the default profile's FilterChain.Passes: unschedulable,
/// node selector and required affinity, taints and tolerations, resources) for a pod with a node
/// selector and tolerations on a labelled, tainted GPU node: one node that passes every filter, and
/// one that fails only the last (resources), so both runs evaluate all four filters.
/// </summary>
[MemoryDiagnoser]
public class PredicateBenchmarks
{
    private readonly FilterChain _filters = SchedulerProfile.Default().Filters;
    private Pod _pod = null!;
    private NodeInfo _fits = null!;
    private NodeInfo _full = null!;

    [GlobalSetup]
    public void Setup()
    {
        var labels = new Dictionary<string, string>
        {
            ["kubernetes.io/hostname"] = "gpu-1",
            ["nvidia.com/gpu.product"] = "NVIDIA-GB200",
            ["nvidia.com/gpu.clique"] = "nvl-00001.0",
            ["network.topology.nvidia.com/block"] = "block-0001",
            ["node.kubernetes.io/instance-type"] = "gb200-tray",
        };
        ImmutableArray<Taint> taints =
        [
            new("nvidia.com/gpu", "present", TaintEffect.NoSchedule),
            new("dedicated", "inference", TaintEffect.NoSchedule),
        ];
        var allocatable = new ResourceVector(144_000, 960L << 30, 4, 110);
        var cache = new ClusterCache();
        cache.AddOrUpdateNode(new Node("gpu-1", allocatable, labels, taints));
        cache.AddOrUpdateNode(new Node("gpu-2", allocatable, new Dictionary<string, string>(labels) { ["kubernetes.io/hostname"] = "gpu-2" }, taints));
        // gpu-2 already runs a 4-GPU pod: the pod below passes every filter there but resources.
        cache.AddOrUpdatePod(new Pod(new ObjectKey("busy", "x"), new ResourceVector(1000, 1L << 30, 4, 0)) { NodeName = "gpu-2" });
        var snapshot = new ClusterSnapshot();
        cache.UpdateSnapshot(snapshot);
        _fits = snapshot.Find("gpu-1")!;
        _full = snapshot.Find("gpu-2")!;

        _pod = new Pod(new ObjectKey("inference", "decode-0"), new ResourceVector(8_000, 64L << 30, 4, 0))
        {
            NodeSelector = new Dictionary<string, string>
            {
                ["nvidia.com/gpu.product"] = "NVIDIA-GB200",
                ["node.kubernetes.io/instance-type"] = "gb200-tray",
            },
            Tolerations =
            [
                new Toleration("nvidia.com/gpu", TolerationOperator.Exists, null, TaintEffect.NoSchedule),
                new Toleration("dedicated", TolerationOperator.Equal, "inference", null),
            ],
        };
    }

    [Benchmark]
    public bool PassesEveryFilter() => _filters.Passes(_pod, _fits);

    [Benchmark]
    public bool FailsOnResources() => _filters.Passes(_pod, _full);
}
