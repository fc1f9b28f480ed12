using Quorum.Core.Framework;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Profiles;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Core.Gangs;

/// <summary>
/// Decides whether a whole gang can run now, and where: the minimum of every level at once, or
/// nothing. Admitted placements stay on the snapshot through the session's statement (the caller
/// assumes them in the cache); a refused gang leaves the snapshot exactly as it found it. Every
/// refusal carries a code: Unschedulable when freed capacity could help, Unresolvable when it could not.
/// </summary>
public sealed class GangAdmission(SchedulerProfile profile)
{
    public GangAdmission() : this(SchedulerProfile.Default()) { }

    public SchedulerProfile Profile => profile;

    public PlacementOptions Options => profile.Options;

    /// <summary>
    /// Phase 1 on its own, for one gang (tests, benchmarks): the decision, with the admitted placements
    /// committed onto <paramref name="snapshot"/>.
    /// </summary>
    public GangDecision Admit(ClusterSnapshot snapshot, GangRequest request)
    {
        var session = new Session(snapshot, profile, DateTimeOffset.MinValue);
        var d = Admit(session, request, null, out _);
        session.Statement.Commit();
        return d;
    }

    /// <summary>Phase 1 in a session: the minima. When admitted, <paramref name="admitted"/> places the extras later.</summary>
    internal GangDecision Admit(Session session, GangRequest request, Reservation? reservation, out GangSearch? admitted)
    {
        admitted = null;
        var snapshot = session.Snapshot;
        var tree = session.TreeFor(request.Tree);
        var search = new GangSearch(session, tree, request, reservation);

        var missing = search.MissingPods().ToList();
        if (missing.Count > 0)
            return Refused(request, search, StatusCode.WaitingForPods) with { Missing = [.. missing] };
        if (search.PinConflict is { } conflict)
            return Refused(request, search, StatusCode.Unresolvable) with { PinConflict = conflict };

        if (!search.PlaceMinimum())
        {
            search.Abandon();
            var code = search.RootCode == StatusCode.Unresolvable || !search.CouldEverFit(session) ? StatusCode.Unresolvable : StatusCode.Unschedulable;
            var decision = Refused(request, search, code);
            if (request.Members.Count(m => !m.IsBound) == 1 && request.Tree.Root.IsLeaf && request.Tree.Root.MinMember <= 1 + search.BoundMembers)
            {
                // A single pod: kube-scheduler's own message, and its code is exact.
                var nodes = Diagnose(snapshot, request, reservation);
                decision = decision with
                {
                    Nodes = nodes,
                    NodesOnly = true,
                    Code = nodes?.Code == StatusCode.Unresolvable ? StatusCode.Unresolvable : code,
                };
            }
            else if (search.StuckOn is { } stuck) decision = decision with { Nodes = stuck };
            else if (request.Tree.Topology is null || search.Failures.Any(f => f.Level == "cluster"))
            {
                var nodes = Diagnose(snapshot, request, reservation);
                if (nodes is not null && nodes.Feasible < nodes.Nodes) decision = decision with { Nodes = nodes };
            }
            if (reservation is not null && reservation.Group != request.Key && decision.Code == StatusCode.Unschedulable && Held(session, request, reservation))
                decision = decision with { HeldFor = reservation };
            return decision;
        }
        admitted = search;
        return Admitted(request, search);
    }

    /// <summary>Phase 2, after every queued gang's minimum: pods and sub-groups above the minima, where they fit.</summary>
    internal static GangDecision PlaceExtras(GangRequest request, GangSearch search)
    {
        search.PlaceExtras();
        return Admitted(request, search);
    }

    /// <summary>Admission with extras in one go, for a single gang on its own (whatif, explain); placements committed.</summary>
    public GangDecision AdmitWithExtras(ClusterSnapshot snapshot, GangRequest request)
    {
        var session = new Session(snapshot, profile, DateTimeOffset.MinValue);
        var d = Admit(session, request, null, out var search);
        if (search is not null) d = PlaceExtras(request, search);
        session.Statement.Commit();
        return d;
    }

    /// <summary>The tree a gang is placed on: its topology, else the default one, else the flat node list.</summary>
    public TopologyTree TreeFor(ClusterSnapshot snapshot, GangTree gang) => profile.TreeFor(snapshot, gang);

    private static GangDecision Admitted(GangRequest request, GangSearch search) =>
        new(request.Key, StatusCode.Success)
        {
            Placements = search.Placements,
            NotPlaced = search.NotPlaced,
            AlreadyBound = search.BoundMembers,
        };

    private static GangDecision Refused(GangRequest request, GangSearch search, StatusCode code) =>
        new(request.Key, code)
        {
            NotPlaced = search.NotPlaced,
            Failures = [.. search.Failures],
            AlreadyBound = search.BoundMembers,
        };

    /// <summary>kube-scheduler's per-node diagnosis for the group's first pending pod.</summary>
    private NodeDiagnosis? Diagnose(ClusterSnapshot snapshot, GangRequest request, Reservation? reservation)
    {
        var pod = FirstPending(request);
        return pod is null ? null : profile.Filters.Diagnose(pod, snapshot, reservation?.Group == request.Key ? null : reservation?.BlockedSlots);
    }

    private static Pod? FirstPending(GangRequest request) =>
        request.Members.Where(p => !p.IsBound && !p.SchedulingGated).OrderBy(p => p.Key, ObjectKey.Ordinal).FirstOrDefault();

    /// <summary>Whether the reservation holds a node this gang could have used: only then does the message name it.</summary>
    private bool Held(Session session, GangRequest request, Reservation reservation)
    {
        if (FirstPending(request) is not { } pod) return false;
        var eligible = session.Eligibility.For(pod, profile.Filters);
        var blocked = reservation.BlockedSlots;
        for (var s = 0; s < blocked.Length; s++)
            if (blocked[s] && eligible.Contains(s)) return true;
        return false;
    }
}
