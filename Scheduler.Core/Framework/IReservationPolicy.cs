using Quorum.Core.Gangs;
using Quorum.Core.Placement;

namespace Quorum.Core.Framework;

/// <summary>
/// Decides, after a gang was refused in a cycle, whether it holds capacity against the gangs ranked
/// below it (and which), so that a big gang is not overtaken forever by a stream of small ones.
/// At most one reservation per cycle.
/// </summary>
public interface IReservationPolicy
{
    string Name { get; }

    /// <summary>A reservation for <paramref name="request"/>, or null. Called only for refusals whose code is Unschedulable.</summary>
    Reservation? Reserve(Session session, GangRequest request, GangDecision decision);

    /// <summary>The gang's group was admitted or left the queue: forget what was held for it.</summary>
    void Release(Model.ObjectKey group);
}
