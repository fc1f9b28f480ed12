namespace Quorum.Core.Framework;

/// <summary>
/// What a decision, a node or a domain came to, as kube-scheduler's framework Status codes do: the
/// code decides (reserve or not, wake on which events, preempt or not); the text is rendered from it
/// at the edge. Ordered from best to worst for <see cref="StatusCodes.Merge"/>.
/// </summary>
public enum StatusCode : byte
{
    /// <summary>Fits; or, for a decision, admitted.</summary>
    Success,

    /// <summary>Does not fit now, but more free capacity (pods finishing, evictions, new nodes) could help.</summary>
    Unschedulable,

    /// <summary>
    /// No freed capacity on these nodes could help: a selector, affinity or taint rules the nodes out,
    /// a required topology label is missing, or the demand exceeds what any domain holds even empty.
    /// kube-scheduler's UnschedulableAndUnresolvable.
    /// </summary>
    Unresolvable,

    /// <summary>A level has fewer pods than its minimum: the group waits for its owner to create them.</summary>
    WaitingForPods,

    /// <summary>Every pending pod still has scheduling gates: not the scheduler's turn yet.</summary>
    SchedulingGated,

    /// <summary>The group cannot be scheduled as written.</summary>
    Invalid,
}

public static class StatusCodes
{
    /// <summary>
    /// The code of several alternatives that all failed (domains of a level, nodes of a domain): if
    /// any one could be helped by freed capacity, so can the whole.
    /// </summary>
    public static StatusCode Merge(StatusCode a, StatusCode b) =>
        a == StatusCode.Unschedulable || b == StatusCode.Unschedulable ? StatusCode.Unschedulable : a > b ? a : b;

    /// <summary>
    /// The reason of the pods' PodScheduled=False condition. Unresolvable is reported as Unschedulable,
    /// as kube-scheduler does: a cluster autoscaler reads it, and a node group scaled to zero may hold
    /// exactly the nodes a selector asks for.
    /// </summary>
    public static string ConditionReason(StatusCode code) => code switch
    {
        StatusCode.Success => "Scheduled",
        StatusCode.WaitingForPods => "WaitingForPods",
        StatusCode.SchedulingGated => "SchedulingGated",
        StatusCode.Invalid => "InvalidPodGroup",
        _ => "Unschedulable",
    };
}
