using System.Collections.Immutable;
using Quorum.Core.Model;

namespace Quorum.Core.Gangs;

/// <summary>PodGroup status.phase values.</summary>
public static class GroupPhase
{
    /// <summary>The minimum is not bound yet.</summary>
    public const string Pending = "Pending";

    /// <summary>Every level's minimum is bound (or assumed and being bound).</summary>
    public const string Scheduled = "Scheduled";

    /// <summary>Every level's minimum is running.</summary>
    public const string Running = "Running";

    /// <summary>The group cannot be scheduled as written (invalid), or a minimum member failed.</summary>
    public const string Failed = "Failed";
}

/// <summary>Pod counts of one leaf sub-group.</summary>
public sealed record SubGroupCounts(string Name, int Scheduled, int Pending, int Running);

/// <summary>A PodGroup status condition, in metav1.Condition's terms.</summary>
public sealed record GroupCondition(string Type, bool Status, string Reason, string Message);

/// <summary>What Quorum writes to a PodGroup's status.</summary>
public sealed record GroupStatus(string Phase, int Scheduled, int Running, ImmutableArray<SubGroupCounts> SubGroups, ImmutableArray<GroupCondition> Conditions)
{
    /// <summary>Condition type: the group's minimum is placed (kube's PodScheduled, for the group).</summary>
    public const string ScheduledCondition = "PodGroupScheduled";

    /// <summary>Condition type: the group has been pending longer than spec.scheduleTimeoutSeconds.</summary>
    public const string TimeoutCondition = "ScheduleTimeout";

    /// <summary>
    /// Derives the status from the members as the cluster shows them and the last decision. A group
    /// past its scheduleTimeoutSeconds is marked, and stays queued: the timeout informs, it does not evict.
    /// </summary>
    public static GroupStatus Compute(GangTree tree, IReadOnlyCollection<Pod> members, GangDecision? lastDecision, DateTimeOffset now)
    {
        var counts = tree.Nodes.Where(n => n.IsLeaf).Select(leaf =>
        {
            var pods = members.Where(p => tree.LeafFor(p.Group?.SubGroup) == leaf && !p.Terminated).ToList();
            return new SubGroupCounts(leaf.Name, pods.Count(p => p.IsBound), pods.Count(p => !p.IsBound), pods.Count(p => p.Running));
        }).ToImmutableArray();
        var byLeaf = counts.ToDictionary(c => c.Name, StringComparer.Ordinal);
        bool Met(GangNode g, Func<SubGroupCounts, int> count) =>
            g.IsLeaf ? count(byLeaf[g.Name]) >= g.MinMember : g.Children.Count(c => Met(c, count)) >= g.MinSubGroup;

        var failedMinimum = members.Any(p => p.Terminated && p.Group is not null) && !Met(tree.Root, c => c.Scheduled);
        var phase = Met(tree.Root, c => c.Running) ? GroupPhase.Running
            : Met(tree.Root, c => c.Scheduled) ? GroupPhase.Scheduled
            : failedMinimum ? GroupPhase.Failed
            : GroupPhase.Pending;

        var conditions = ImmutableArray.CreateBuilder<GroupCondition>();
        if (phase is GroupPhase.Scheduled or GroupPhase.Running)
            conditions.Add(new GroupCondition(ScheduledCondition, true, "Scheduled", "every level's minimum is placed"));
        else if (lastDecision is { Admitted: false })
            conditions.Add(new GroupCondition(ScheduledCondition, false, lastDecision.Reason ?? "Unschedulable", lastDecision.Message ?? ""));
        else
            conditions.Add(new GroupCondition(ScheduledCondition, false, "Pending", "not tried yet"));
        if (phase == GroupPhase.Pending && tree.Spec.ScheduleTimeoutSeconds is { } timeout
            && now - tree.Spec.CreationTimestamp > TimeSpan.FromSeconds(timeout))
            conditions.Add(new GroupCondition(TimeoutCondition, true, "ScheduleTimeout",
                $"pending longer than scheduleTimeoutSeconds ({timeout}); still queued"));

        return new GroupStatus(phase, counts.Sum(c => c.Scheduled), counts.Sum(c => c.Running), counts, conditions.ToImmutable());
    }

    /// <summary>The status of a group that failed validation: Failed, with the errors.</summary>
    public static GroupStatus Invalid(string message) =>
        new(GroupPhase.Failed, 0, 0, [], [new GroupCondition(ScheduledCondition, false, "Invalid", message)]);
}
