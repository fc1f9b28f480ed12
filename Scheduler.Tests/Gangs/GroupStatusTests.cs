using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Benchmarks.Simulation;

namespace Quorum.Tests.Gangs;

public class GroupStatusTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");

    private static GangTree Tree(int? timeout = null) => PodGroupValidator.Validate(new PodGroupSpec(new ObjectKey("s", "llama"))
    {
        CreationTimestamp = T0,
        ScheduleTimeoutSeconds = timeout,
        SubGroups = [new("prefill", MinMember: 2), new("decode", MinMember: 1)],
    }, _ => null).Tree!;

    private static Pod P(string name, string sub, string? node = null, bool running = false, bool terminated = false) =>
        Pods.Gpu("s", name, 1, group: "llama", subGroup: sub, node: node) with { Running = running, Terminated = terminated };

    [Test]
    public void Counts_per_sub_group_and_phase_follow_the_minimum()
    {
        var pending = GroupStatus.Compute(Tree(), [P("p0", "prefill", "n1"), P("p1", "prefill"), P("d0", "decode", "n2")], null, T0);
        Assert.That(pending.Phase, Is.EqualTo(GroupPhase.Pending));
        Assert.That(pending.SubGroups, Is.EqualTo(new[] { new SubGroupCounts("prefill", 1, 1, 0), new SubGroupCounts("decode", 1, 0, 0) }));

        var scheduled = GroupStatus.Compute(Tree(), [P("p0", "prefill", "n1"), P("p1", "prefill", "n1"), P("d0", "decode", "n2", running: true)], null, T0);
        Assert.That(scheduled.Phase, Is.EqualTo(GroupPhase.Scheduled));
        Assert.That(scheduled.Conditions.Single().Status, Is.True);

        var running = GroupStatus.Compute(Tree(), [P("p0", "prefill", "n1", true), P("p1", "prefill", "n1", true), P("d0", "decode", "n2", true)], null, T0);
        Assert.That(running.Phase, Is.EqualTo(GroupPhase.Running));
        Assert.That(running.Running, Is.EqualTo(3));
    }

    [Test]
    public void A_refused_group_carries_the_reason_and_message_of_its_last_attempt()
    {
        var decision = new GangDecision(new ObjectKey("s", "llama"), StatusCode.Unschedulable)
        {
            Failures = [new LevelFailure("", "cluster", 3, 0, "sub-groups", StatusCode.Unschedulable) { Kind = LevelFailureKind.SubGroups, Of = 3 }],
        };
        var s = GroupStatus.Compute(Tree(), [P("p0", "prefill")], decision, T0);
        Assert.That(s.Conditions.Single(), Is.EqualTo(new GroupCondition(GroupStatus.ScheduledCondition, false, "Unschedulable",
            "group needs 3 of 3 sub-groups in the cluster; the cluster fits fewer")));
    }

    [Test]
    public void A_group_past_its_schedule_timeout_is_marked_and_stays_pending()
    {
        var s = GroupStatus.Compute(Tree(timeout: 600), [P("p0", "prefill")], null, T0.AddSeconds(601));
        Assert.That(s.Phase, Is.EqualTo(GroupPhase.Pending));
        Assert.That(s.Conditions.Select(c => c.Type), Does.Contain(GroupStatus.TimeoutCondition));
        Assert.That(GroupStatus.Compute(Tree(timeout: 600), [P("p0", "prefill")], null, T0.AddSeconds(599)).Conditions.Select(c => c.Type),
            Does.Not.Contain(GroupStatus.TimeoutCondition));
    }

    [Test]
    public void A_group_whose_member_failed_below_the_minimum_is_failed()
    {
        var s = GroupStatus.Compute(Tree(), [P("p0", "prefill", "n1", terminated: true), P("p1", "prefill", "n1"), P("d0", "decode", "n2")], null, T0);
        Assert.That(s.Phase, Is.EqualTo(GroupPhase.Failed));
    }
}
