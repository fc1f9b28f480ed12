using System.Collections.Immutable;
using Quorum.Core.Model;

namespace Quorum.Core.Gangs;

/// <summary>A pod and the node the decision gives it.</summary>
public sealed record PodPlacement(ObjectKey Pod, string Node, string? SubGroup, bool Extra);

/// <summary>
/// Why one level of a gang could not be placed, with the figures behind the message:
/// what it needs, inside which level, and how much the best domain of that level holds.
/// </summary>
public sealed record LevelFailure(string SubGroup, string Level, int Needed, int BestFit, string Unit, string Message);

/// <summary>Why a pod was not placed (its group not admitted, or it is an extra that did not fit).</summary>
public sealed record PodFailure(ObjectKey Pod, string Reason);

/// <summary>The result of one admission attempt for one group.</summary>
public sealed record GangDecision(
    ObjectKey Group,
    bool Admitted,
    ImmutableArray<PodPlacement> Placements,
    ImmutableArray<PodFailure> Unplaced,
    ImmutableArray<LevelFailure> Failures,
    string? Message)
{
    /// <summary>Pods of the group already bound when the decision was made (they count toward minima).</summary>
    public int AlreadyBound { get; init; }

    /// <summary>The kind of refusal, as a kube-style reason: Unschedulable, WaitingForPods, Invalid, Reserved.</summary>
    public string? Reason { get; init; }
}
