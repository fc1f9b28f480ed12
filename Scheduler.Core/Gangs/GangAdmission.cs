using System.Collections.Immutable;
using Quorum.Core.Placement;
using Quorum.Core.Predicates;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Core.Gangs;

/// <summary>
/// Decides whether a whole gang can run now, and where: the minimum of every level at once, or
/// nothing. Admitted placements stay reserved on the snapshot (the caller assumes them in the cache);
/// a refused gang leaves the snapshot exactly as it found it.
/// </summary>
public sealed class GangAdmission(FilterChain filters, PlacementOptions options)
{
    public GangAdmission() : this(FilterChain.Default, new PlacementOptions()) { }

    public PlacementOptions Options => options;

    /// <summary>Phase 1: the minima. Returns the decision and, when admitted, a handle to place extras later.</summary>
    public GangDecision Admit(ClusterSnapshot snapshot, GangRequest request) => Admit(snapshot, request, null, out _);

    internal GangDecision Admit(ClusterSnapshot snapshot, GangRequest request, Reservation? reservation, out GangPlacer? admitted)
    {
        admitted = null;
        var tree = TreeFor(snapshot, request.Tree);
        var blockedDomain = reservation is not null && ReferenceEquals(reservation.Tree, tree) ? reservation.Domain : -1;
        var placer = new GangPlacer(snapshot, tree, filters, options, request, reservation?.BlockedSlots, blockedDomain);

        var missing = placer.MissingPods().ToList();
        if (missing.Count > 0)
        {
            var msg = string.Join("; ", missing.Select(m => $"{m.Leaf.DisplayName} has {m.Have} of {m.Need} pods it needs"));
            return Refused(request, placer, $"waiting for pods: {msg}", "WaitingForPods");
        }
        if (placer.PinConflict is { } conflict) return Refused(request, placer, conflict, "Unschedulable");

        if (!placer.PlaceMinimum())
        {
            placer.Rollback(0);
            var message = string.Join("; ", placer.Failures.Select(f => f.Message).Distinct());
            if (request.Members.Count(m => !m.IsBound) == 1 && request.Tree.Root.IsLeaf && request.Tree.Root.MinMember <= 1 + placer.BoundMembers)
                message = Diagnose(snapshot, request, reservation)!;
            else if ((request.Tree.Topology is null || placer.Failures.Any(f => f.Level == "cluster"))
                && Diagnose(snapshot, request, reservation, onlyIfSomeNodeRejects: true) is { } nodes)
                message = $"{message}: {nodes}";
            return Refused(request, placer, message, "Unschedulable");
        }
        admitted = placer;
        return Admitted(request, placer);
    }

    /// <summary>Phase 2, after every queued gang's minimum: pods and sub-groups above the minima, where they fit.</summary>
    internal static GangDecision PlaceExtras(GangRequest request, GangPlacer placer)
    {
        placer.PlaceExtras();
        return Admitted(request, placer);
    }

    /// <summary>Admission with extras in one go, for a single gang on its own (whatif, explain).</summary>
    public GangDecision AdmitWithExtras(ClusterSnapshot snapshot, GangRequest request)
    {
        var d = Admit(snapshot, request, null, out var placer);
        return placer is null ? d : PlaceExtras(request, placer);
    }

    /// <summary>The tree a gang is placed on: its topology, else the default one, else the flat node list.</summary>
    public TopologyTree TreeFor(ClusterSnapshot snapshot, GangTree gang) =>
        snapshot.Tree(gang.Topology ?? options.DefaultTopology) ?? snapshot.FlatTree;

    private static GangDecision Admitted(GangRequest request, GangPlacer placer) =>
        new(request.Key, true, [.. placer.Placements], placer.UnplacedPods("extra above the group's minimum: no room left where the group runs"),
            [], null)
        { AlreadyBound = placer.BoundMembers };

    private static GangDecision Refused(GangRequest request, GangPlacer placer, string message, string reason) =>
        new(request.Key, false, [], placer.UnplacedPods(message), [.. placer.Failures], message)
        { AlreadyBound = placer.BoundMembers, Reason = reason };

    /// <summary>kube-scheduler's per-node message for the group's first pending pod.</summary>
    private string? Diagnose(ClusterSnapshot snapshot, GangRequest request, Reservation? reservation, bool onlyIfSomeNodeRejects = false)
    {
        var pod = request.Members.Where(p => !p.IsBound && !p.SchedulingGated).OrderBy(p => p.Key, Model.ObjectKey.Ordinal).FirstOrDefault();
        if (pod is null) return "no pending pods";
        var d = filters.Diagnose(pod, snapshot, reservation?.BlockedSlots);
        return onlyIfSomeNodeRejects && d.Feasible == d.Nodes ? null : d.ToMessage();
    }
}
