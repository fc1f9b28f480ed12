using System.Collections.Immutable;
using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Placement;
using Quorum.Core.Snapshot;

namespace Quorum.Core.Queue;

/// <summary>What one cycle decided: a decision per gang tried, in queue order, and any reservation held.</summary>
public sealed record CycleResult(ImmutableArray<GangDecision> Decisions, Reservation? Reservation);

/// <summary>
/// One scheduling cycle over a snapshot, in one session: every ready gang's minimum in the profile's
/// gang order, then the elastic extras of the admitted ones, so an extra pod never takes the room
/// another gang's minimum needed. The first refused gang the profile's reservation policy chooses
/// holds its nodes against the gangs ranked below it for the rest of the cycle. At the end the
/// session's statement is committed: admitted placements stay on the snapshot for the caller to
/// assume in the cache.
/// </summary>
/// <remarks>
/// The reservation exists only in cycles that include its gang: the host keeps the reserving gang in
/// every cycle (<see cref="SchedulingQueue.Reserving"/>).
/// </remarks>
public sealed class SchedulingCycle(GangAdmission admission, TimeProvider time)
{
    private readonly IReservationPolicy _reservations = admission.Profile.CreateReservationPolicy();

    public GangAdmission Admission => admission;

    public CycleResult Run(ClusterSnapshot snapshot, IEnumerable<GangRequest> ready)
    {
        var result = Run(snapshot, ready, out var statement);
        statement.Commit();
        return result;
    }

    /// <summary>
    /// A cycle whose placements are left uncommitted in <paramref name="statement"/>: a what-if
    /// discards them afterwards, so its copy of the snapshot is the cluster's again.
    /// </summary>
    public CycleResult Run(ClusterSnapshot snapshot, IEnumerable<GangRequest> ready, out Statement statement)
    {
        var ordered = ready.Order(admission.Profile.GangOrder).ToList();
        var decisions = new GangDecision[ordered.Count];
        var searches = new GangSearch?[ordered.Count];
        var session = new Session(snapshot, admission.Profile, time.GetUtcNow());
        Reservation? reservation = null;

        for (var i = 0; i < ordered.Count; i++)
        {
            var request = ordered[i];
            decisions[i] = admission.Admit(session, request, reservation, out searches[i]);
            if (decisions[i].Code == StatusCode.Success) _reservations.Release(request.Key);
            else if (reservation is null && decisions[i].Code == StatusCode.Unschedulable)
                reservation = _reservations.Reserve(session, request, decisions[i]);
        }

        for (var i = 0; i < ordered.Count; i++)
        {
            if (searches[i] is not { } search) continue;
            search.Respect(reservation is not null && reservation.Group != ordered[i].Key ? reservation : null);
            decisions[i] = GangAdmission.PlaceExtras(ordered[i], search);
        }
        statement = session.Statement;
        return new CycleResult([.. decisions], reservation);
    }
}
