using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Topology;

namespace Quorum.Core.Plugins;

/// <summary>
/// Starvation policy: a refused gang (Unschedulable: freed capacity would help) that has waited
/// <see cref="PlacementOptions.StarvationThreshold"/> reserves the domain it is closest to fitting, so
/// the gangs ranked below it are placed anywhere but on the nodes held for it, and capacity freed
/// there accumulates for it instead of going to small work.
/// </summary>
/// <remarks>
/// What is held: only the nodes its pods could use once freed (every filter that no freed capacity
/// changes passes: selector, affinity, taints; and, for a required level, the level's label), inside
/// the tightest domain whose such nodes could hold the whole gang: of its required level when it has
/// one, otherwise the innermost level that can. Work that could never use those nodes is not affected.
/// A gang no domain could hold even empty is Unresolvable and never gets here. The same domain is
/// kept while it still qualifies: moving the reservation whenever another domain frees a little more
/// would hand what was freed here to smaller groups. No backfill: pods declare no run time, so
/// nothing proves a backfill would end before the gang could start.
/// </remarks>
public sealed class StarvationReservation(TimeSpan threshold) : IReservationPolicy
{
    private (ObjectKey Group, TopologyTree Tree, int Domain)? _held;

    public string Name => "StarvationReservation";

    public Reservation? Reserve(Session session, GangRequest request, GangDecision decision)
    {
        if (decision.Code != StatusCode.Unschedulable || session.Now - request.CreationTimestamp < threshold) return null;
        var tree = session.TreeFor(request.Tree);
        var pending = request.Members.Where(p => !p.IsBound && !p.SchedulingGated).ToList();
        long demand = pending.Sum(p => p.Requests.Gpu);
        if (demand == 0) return null;
        // A domain qualifies when its usable nodes, emptied, hold every pending pod at the largest pod's
        // size: counting GPUs alone would hold 10 four-GPU nodes for eleven three-GPU pods.
        var podGpu = pending.Max(p => p.Requests.Gpu);
        var filters = session.Profile.Filters;
        var sets = pending.Select(p => session.Eligibility.For(p, filters)).Distinct().ToList();
        var everyNode = sets.Any(s => s.AllNodes);
        bool Eligible(int slot) => everyNode || sets.Exists(s => s.Contains(slot));

        var snapshot = session.Snapshot;
        var required = request.Tree.Root.RequiredDepth;
        var depthFrom = required > 0 ? required : tree.Depth;
        var depthTo = required > 0 ? required : 0;
        var candidates = new List<(int Domain, long Free)>();
        var domains = new List<int>();
        for (var depth = depthFrom; depth >= depthTo && candidates.Count == 0; depth--)
        {
            domains.Clear();
            tree.DomainsAt(TopologyTree.RootDomain, depth, domains);
            foreach (var d in domains)
            {
                if (required > 0 && !tree.LabelledDownTo(d, required)) continue;
                long pods = 0, free = 0;
                foreach (var slot in tree.SlotsOf(d))
                {
                    if (!Eligible(slot) || snapshot[slot] is not { } info) continue;
                    pods += info.Node.Allocatable.Gpu / podGpu;
                    free += Math.Max(0, info.FreeGpu);
                }
                if (pods >= pending.Count) candidates.Add((d, free));
            }
        }
        if (candidates.Count == 0) return null;
        // Closest to fitting: most free GPUs on the nodes it could use; ties in label order (MaxBy keeps the first).
        var best = _held is { } held && held.Group == request.Key && ReferenceEquals(held.Tree, tree) && candidates.Exists(c => c.Domain == held.Domain)
            ? held.Domain
            : candidates.MaxBy(c => c.Free).Domain;
        _held = (request.Key, tree, best);
        var blocked = new bool[snapshot.SlotCount];
        var count = 0;
        foreach (var slot in tree.SlotsOf(best))
        {
            if (!Eligible(slot) || snapshot[slot] is not { } node) continue;
            // Filters no freed capacity resolves but that read more than the node's spec: checked here, per node.
            if (!pending.Exists(p => filters.PassesUnresolvable(p, node))) continue;
            blocked[slot] = true;
            count++;
        }
        return count == 0 ? null : new Reservation(request.Key, request.Priority, tree, best, blocked);
    }

    public void Release(ObjectKey group)
    {
        if (_held is { } h && h.Group == group) _held = null;
    }
}
