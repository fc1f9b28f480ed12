using System.Collections.Immutable;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Topology;

/// <summary>How many pods of <see cref="GpusPerPod"/> GPUs each still fit on a domain's nodes.</summary>
public sealed record GangShape(int GpusPerPod, long Pods);

/// <summary>
/// Free and total capacity of one domain, and the gang shapes it can still take: what
/// <c>quorum capacity</c> shows. Totals are allocatable; free is allocatable minus what bound and
/// assumed pods request.
/// </summary>
public sealed record DomainCapacity(
    string Path, int Nodes, long FreeGpu, long TotalGpu, long FreeMilliCpu, long TotalMilliCpu, long FreeMemory, long TotalMemory,
    long MaxNodeFreeGpu, ImmutableArray<GangShape> Shapes)
{
    /// <summary>GPUs per pod of the shapes reported: the sizes GPU workloads are cut in.</summary>
    public static ImmutableArray<int> ShapeSizes { get; } = [1, 2, 4, 8];

    /// <summary>Every domain at <paramref name="depth"/> (0: the root) that holds nodes, in label order.</summary>
    public static IReadOnlyList<DomainCapacity> At(ClusterSnapshot snapshot, TopologyTree tree, int depth)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, tree.Depth);
        var domains = new List<int>();
        tree.DomainsAt(TopologyTree.RootDomain, depth, domains);
        return [.. domains.Select(d => Of(snapshot, tree, d))];
    }

    /// <summary>
    /// One domain, from its nodes: the tree's aggregates hold free figures only, and the shapes
    /// need each node's free GPUs (a pod cannot span nodes), not the domain's sum.
    /// </summary>
    public static DomainCapacity Of(ClusterSnapshot snapshot, TopologyTree tree, int domain)
    {
        int nodes = 0;
        long freeGpu = 0, totalGpu = 0, freeCpu = 0, totalCpu = 0, freeMem = 0, totalMem = 0, maxNodeGpu = 0;
        var pods = new long[ShapeSizes.Length];
        foreach (var slot in tree.SlotsOf(domain))
        {
            if (snapshot[slot] is not { } info) continue;
            var alloc = info.Node.Allocatable;
            var free = info.Free;
            nodes++;
            totalGpu += alloc.Gpu;
            totalCpu += alloc.MilliCpu;
            totalMem += alloc.Memory;
            var nodeGpu = Math.Max(0, free.Gpu);
            freeGpu += nodeGpu;
            freeCpu += Math.Max(0, free.MilliCpu);
            freeMem += Math.Max(0, free.Memory);
            maxNodeGpu = Math.Max(maxNodeGpu, nodeGpu);
            for (var i = 0; i < pods.Length; i++) pods[i] += nodeGpu / ShapeSizes[i];
        }
        return new DomainCapacity(tree.PathOf(domain), nodes, freeGpu, totalGpu, freeCpu, totalCpu, freeMem, totalMem, maxNodeGpu,
            [.. ShapeSizes.Select((size, i) => new GangShape(size, pods[i]))]);
    }
}
