using System.Collections.Immutable;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Core.Queue;

/// <summary>What one cycle decided: a decision per gang tried, in queue order, and any reservation held.</summary>
public sealed record CycleResult(ImmutableArray<GangDecision> Decisions, Reservation? Reservation);

/// <summary>
/// One scheduling cycle over a snapshot: every ready gang's minimum in queue order, then the elastic
/// extras of the admitted ones, so an extra pod never takes the room another gang's minimum needed.
/// </summary>
/// <remarks>
/// Starvation policy: the highest-ranked gang that does not fit, once it has waited
/// <see cref="PlacementOptions.StarvationThreshold"/>, reserves the domain it is closest to fitting
/// (at its required level, or else the tightest level whose capacity could ever hold it). Gangs ranked
/// below it are placed anywhere else but there, so the queue keeps moving while capacity freed in that
/// domain accumulates for the big gang. One reservation at a time, made in every cycle that holds the
/// starving gang (the host must keep it in each cycle), on the same domain while that still qualifies;
/// it ends the cycle the gang is admitted or leaves the queue. Backfill into the
/// reserved domain is not allowed: pods declare no run time, so nothing proves a backfill would
/// end before the gang could start.
/// </remarks>
public sealed class SchedulingCycle(GangAdmission admission, TimeProvider time)
{
    private (ObjectKey Group, TopologyTree Tree, int Domain)? _held;

    public CycleResult Run(ClusterSnapshot snapshot, IEnumerable<GangRequest> ready)
    {
        var ordered = ready.Order(QueueOrder.Instance).ToList();
        var decisions = new GangDecision[ordered.Count];
        var placers = new GangPlacer?[ordered.Count];
        Reservation? reservation = null;
        var now = time.GetUtcNow();

        for (var i = 0; i < ordered.Count; i++)
        {
            var request = ordered[i];
            decisions[i] = admission.Admit(snapshot, request, reservation, out placers[i]);
            if (!decisions[i].Admitted && reservation is null && decisions[i].Reason == "Unschedulable"
                && now - request.CreationTimestamp >= admission.Options.StarvationThreshold)
                reservation = Reserve(snapshot, request);
        }

        if (_held is { } h && decisions.Any(d => d.Admitted && d.Group == h.Group)) _held = null;

        for (var i = 0; i < ordered.Count; i++)
        {
            if (placers[i] is not { } placer) continue;
            placer.Respect(reservation is not null && reservation.Group != ordered[i].Key ? reservation : null);
            decisions[i] = GangAdmission.PlaceExtras(ordered[i], placer);
        }
        return new CycleResult([.. decisions], reservation);
    }

    /// <summary>The domain the gang is closest to fitting, among those whose total capacity could hold it.</summary>
    internal Reservation? Reserve(ClusterSnapshot snapshot, GangRequest request)
    {
        var tree = admission.TreeFor(snapshot, request.Tree);
        long demand = request.Members.Where(p => !p.IsBound).Sum(p => p.Requests.Gpu);
        if (demand == 0) return null;
        var candidates = new List<int>();
        // With a required level only that level's domains qualify: a gang bigger than any of them can
        // never run, and reserving a wider domain for it would only block the queue.
        var required = request.Tree.Root.RequiredDepth;
        var depthFrom = required > 0 ? required : tree.Depth;
        var depthTo = required > 0 ? required : 0;
        for (var depth = depthFrom; depth >= depthTo && candidates.Count == 0; depth--)
        {
            var all = new List<int>();
            tree.DomainsAt(TopologyTree.RootDomain, depth, all);
            candidates.AddRange(all.Where(d => tree.AllocatableGpu(d) >= demand));
        }
        if (candidates.Count == 0) return null;
        // Closest to fitting: most free GPUs; ties in label order (OrderBy is stable). A domain held for
        // this gang before keeps being held while it still qualifies: moving the reservation each time
        // another domain frees a little more would hand what was freed here to smaller groups.
        var best = _held is { } held && held.Group == request.Key && ReferenceEquals(held.Tree, tree) && candidates.Contains(held.Domain)
            ? held.Domain
            : candidates.OrderByDescending(tree.FreeGpu).First();
        _held = (request.Key, tree, best);
        var blocked = new bool[snapshot.SlotCount];
        MarkNodes(tree, best, blocked);
        return new Reservation(request.Key, tree, best, blocked);
    }

    private static void MarkNodes(TopologyTree tree, int domain, bool[] blocked)
    {
        if (tree.DepthOf(domain) == tree.Depth)
        {
            foreach (var s in tree.NodesOf(domain)) blocked[s] = true;
            return;
        }
        foreach (var c in tree.Children(domain)) MarkNodes(tree, c, blocked);
    }
}
