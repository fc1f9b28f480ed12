using Quorum.Core.Gangs;
using Quorum.Core.Model;

namespace Quorum.Scheduling;

/// <summary>
/// Tells users what the scheduler decided, on the objects themselves: in the binary, Events
/// (Scheduled / FailedScheduling), the PodScheduled condition and PodGroup status.
/// </summary>
public interface ISchedulingReporter
{
    /// <summary>A pod was bound.</summary>
    Task ScheduledAsync(Pod pod, string node, CancellationToken cancellationToken);

    /// <summary>A group (or a group of one) was tried and refused, or its binds failed.</summary>
    Task UnschedulableAsync(ObjectKey group, bool isPodGroup, IReadOnlyList<Pod> pendingPods, string reason, string message, CancellationToken cancellationToken);

    /// <summary>A group's status changed (PodGroups only).</summary>
    Task GroupStatusAsync(ObjectKey group, GroupStatus status, CancellationToken cancellationToken);

    /// <summary>An object the scheduler cannot use as written.</summary>
    Task RefusedAsync(RefusedObject refused, CancellationToken cancellationToken);
}
