using System.Collections.Immutable;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Core.Gangs;

/// <summary>What a level's minimum requests of one resource, against what the best domain has free.</summary>
public sealed record ResourceShortfall(string Resource, long Needed, long BestAvailable);

/// <summary>
/// A <see cref="LevelFailure"/> in figures per resource: the domain of the failed level with the most
/// free GPUs (most free cpu for a CPU-only level), and the level's minimum requests against what that
/// domain has free. "needs 8 pods × 8 GPUs inside one block; the best block fits 7" becomes
/// nvidia.com/gpu 64 needed, 56 free in block-b.
/// </summary>
/// <remarks>
/// The best domain is the best of the whole level, not only of the parent's chosen domain, and the
/// figures are totals: a domain with enough free GPUs in total may still fail on how they are spread
/// over nodes, which <see cref="LevelFailure.BestFit"/> counts exactly.
/// </remarks>
public sealed record LevelShortfall(LevelFailure Failure, string? BestDomain, ImmutableArray<ResourceShortfall> Resources)
{
    /// <summary>One entry per failure of <paramref name="decision"/>, on the snapshot the decision was made on.</summary>
    public static ImmutableArray<LevelShortfall> Of(ClusterSnapshot snapshot, TopologyTree tree, GangRequest request, GangDecision decision)
    {
        if (decision.Failures.IsDefaultOrEmpty) return [];
        var pending = request.Members.Where(p => !p.IsBound && !p.SchedulingGated).OrderBy(p => p.Key, ObjectKey.Ordinal)
            .ToLookup(p => request.Tree.LeafFor(p.Group?.SubGroup));
        var bound = request.Members.Where(p => p.IsBound).ToLookup(p => request.Tree.LeafFor(p.Group?.SubGroup));
        return [.. decision.Failures.Select(f => For(snapshot, tree, request.Tree, f, pending, bound))];
    }

    private static LevelShortfall For(ClusterSnapshot snapshot, TopologyTree tree, GangTree gang, LevelFailure failure,
        ILookup<GangNode?, Pod> pending, ILookup<GangNode?, Pod> bound)
    {
        var node = gang.Nodes.FirstOrDefault(n => n.Path == failure.SubGroup);
        if (node is null) return new LevelShortfall(failure, null, []);
        var demand = node.IsLeaf
            ? Demand(node, pending, bound, failure.Needed)
            : Demand(node, pending, bound, failure.Unit == "sub-groups" ? failure.Needed : node.MinSubGroup);

        var depth = failure.Level == "cluster" ? 0 : tree.Spec.IndexOf(failure.Level) + 1;
        if (depth < 0 || depth > tree.Depth) return new LevelShortfall(failure, null, []);
        var domains = new List<int>();
        tree.DomainsAt(TopologyTree.RootDomain, depth, domains);
        if (domains.Count == 0) return new LevelShortfall(failure, null, []);
        // The first of equals wins: domains come in label order.
        var best = domains.MaxBy(d => demand.Gpu > 0 ? tree.FreeGpu(d) : tree.FreeMilliCpu(d));
        var resources = new List<ResourceShortfall>(3);
        if (demand.Gpu > 0) resources.Add(new ResourceShortfall(ResourceNames.NvidiaGpu, demand.Gpu, tree.FreeGpu(best)));
        if (demand.MilliCpu > 0) resources.Add(new ResourceShortfall(ResourceNames.Cpu, demand.MilliCpu, tree.FreeMilliCpu(best)));
        if (demand.Memory > 0) resources.Add(new ResourceShortfall(ResourceNames.Memory, demand.Memory, tree.FreeMemory(best)));
        return new LevelShortfall(failure, tree.PathOf(best), [.. resources]);
    }

    /// <summary>
    /// The least a (sub-)group's minimum can request: a leaf's first <paramref name="count"/> pending
    /// pods; a middle group's <paramref name="count"/> cheapest children, each at its own minimum.
    /// </summary>
    private static ResourceVector Demand(GangNode node, ILookup<GangNode?, Pod> pending, ILookup<GangNode?, Pod> bound, int count)
    {
        if (count <= 0) return default;
        if (node.IsLeaf)
        {
            var sum = default(ResourceVector);
            foreach (var p in pending[node].Take(count)) sum += p.Requests;
            return sum;
        }
        return node.Children
            .Select(c => Demand(c, pending, bound, c.IsLeaf ? c.MinMember - bound[c].Count() : c.MinSubGroup))
            .OrderBy(v => v.Gpu).ThenBy(v => v.MilliCpu)
            .Take(count)
            .Aggregate(default(ResourceVector), (a, b) => a + b);
    }
}
