using Quorum.Core.Framework;
using System.Collections.Immutable;
using Microsoft.Extensions.Time.Testing;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Queue;
using Quorum.Benchmarks.Simulation;

namespace Quorum.Tests.Queue;

public class SchedulingQueueTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");

    private static GangRequest Single(string name, int priority = 0)
    {
        var pod = Pods.Gpu("ns", name, 1, priority: priority, created: T0);
        return new GangRequest(PodGroupValidator.Validate(PodGroupSpec.ForSinglePod(pod), _ => null).Tree!, [pod]);
    }

    private static GangDecision Refused(GangRequest r) => new(r.Key, StatusCode.Unschedulable);

    private static GangDecision Admitted(GangRequest r) => new(r.Key, StatusCode.Success);

    [Test]
    public void Ready_groups_come_in_queue_order()
    {
        var q = new SchedulingQueue(new FakeTimeProvider(T0));
        q.AddOrUpdate(Single("low"));
        q.AddOrUpdate(Single("high", 10));
        Assert.That(q.Ready().Select(r => r.Key.Name), Is.EqualTo(new[] { "high", "low" }));
    }

    [Test]
    public void A_refused_group_is_parked_until_capacity_frees_and_its_backoff_is_over()
    {
        var time = new FakeTimeProvider(T0);
        var q = new SchedulingQueue(time);
        var g = Single("g");
        q.AddOrUpdate(g);
        q.Done(Refused(g));
        Assert.That(q.Ready(), Is.Empty, "parked");
        q.OnCapacityFreed();
        Assert.That(q.LaneOf(g.Key), Is.EqualTo(QueueLane.Backoff), "1 s backoff not over yet");
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(q.Ready().Select(r => r.Key), Is.EqualTo(new[] { g.Key }));
    }

    [Test]
    public void Backoff_doubles_per_attempt_up_to_the_maximum()
    {
        var time = new FakeTimeProvider(T0);
        var q = new SchedulingQueue(time);
        var g = Single("g");
        q.AddOrUpdate(g);
        var waits = new List<double>();
        for (var i = 0; i < 6; i++)
        {
            q.Failed(g.Key);
            var waited = 0;
            while (q.Ready().Count == 0) { time.Advance(TimeSpan.FromSeconds(1)); waited++; }
            waits.Add(waited);
        }
        Assert.That(waits, Is.EqualTo(new double[] { 1, 2, 4, 8, 10, 10 }));
    }

    [Test]
    public void A_parked_group_is_retried_after_the_maximum_unschedulable_time_without_events()
    {
        var time = new FakeTimeProvider(T0);
        var q = new SchedulingQueue(time, new QueueOptions { MaxInUnschedulable = TimeSpan.FromMinutes(5) });
        var g = Single("g");
        q.AddOrUpdate(g);
        q.Done(Refused(g));
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.That(q.Ready(), Is.Empty);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(q.Ready(), Has.Count.EqualTo(1));
    }

    [Test]
    public void The_reserving_gang_is_tried_every_cycle_even_when_parked()
    {
        var q = new SchedulingQueue(new FakeTimeProvider(T0));
        var big = Single("big");
        q.AddOrUpdate(big);
        q.Done(Refused(big));
        q.Reserving = big.Key;
        Assert.That(q.Ready().Select(r => r.Key), Is.EqualTo(new[] { big.Key }));
    }

    [Test]
    public void Admitted_groups_leave_and_a_changed_group_is_tried_again()
    {
        var time = new FakeTimeProvider(T0.AddMinutes(1));
        var q = new SchedulingQueue(time);
        var a = Single("a");
        var b = Single("b");
        q.AddOrUpdate(a);
        q.AddOrUpdate(b);
        q.Done(Admitted(a));
        q.Done(Refused(b));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.That(q.Count, Is.EqualTo(1));
        Assert.That(q.FirstRefused(b.Key), Is.EqualTo(T0.AddMinutes(1)));
        q.AddOrUpdate(b);
        Assert.That(q.Ready().Select(r => r.Key.Name), Is.EqualTo(new[] { "b" }));
    }

    [Test]
    public void Freed_capacity_wakes_only_the_parked_groups_that_could_use_the_node()
    {
        var time = new FakeTimeProvider(T0);
        var q = new SchedulingQueue(time);
        var cache = new Quorum.Core.Snapshot.ClusterCache(time);
        cache.AddOrUpdateNode(new Node("a", new ResourceVector(64_000, 1L << 40, 8, 110), new Dictionary<string, string> { ["pool"] = "a" }));
        cache.AddOrUpdateNode(new Node("b", new ResourceVector(64_000, 1L << 40, 8, 110), new Dictionary<string, string> { ["pool"] = "b" },
            [new Taint("dedicated", "x", TaintEffect.NoSchedule)]));
        var snapshot = new Quorum.Core.Snapshot.ClusterSnapshot();
        cache.UpdateSnapshot(snapshot);
        GangRequest On(string name, string pool, bool tolerates = false)
        {
            var pod = Pods.Gpu("ns", name, 1, created: T0) with
            {
                NodeSelector = new Dictionary<string, string> { ["pool"] = pool },
                Tolerations = tolerates ? [new Toleration("dedicated", TolerationOperator.Exists, null, null)] : [],
            };
            return new GangRequest(PodGroupValidator.Validate(PodGroupSpec.ForSinglePod(pod), _ => null).Tree!, [pod]);
        }
        var onA = On("on-a", "a");
        var onB = On("on-b", "b", tolerates: true);
        var onBIntolerant = On("on-b-intolerant", "b");
        foreach (var r in new[] { onA, onB, onBIntolerant })
        {
            q.AddOrUpdate(r);
            q.Done(Refused(r));
        }
        time.Advance(TimeSpan.FromMinutes(1));
        var filters = Quorum.Core.Profiles.SchedulerProfile.Default().Filters;

        q.OnCapacityFreed(["b"], snapshot, filters, null);

        Assert.That(q.Ready().Select(r => r.Key.Name), Is.EqualTo(new[] { "on-b" }), "a pod left node b: only the group that could ever run there is tried");
        Assert.That(q.LaneOf(onA.Key), Is.EqualTo(QueueLane.Unschedulable));
        Assert.That(q.LaneOf(onBIntolerant.Key), Is.EqualTo(QueueLane.Unschedulable), "it does not tolerate b's taint");
    }

    [Test]
    public void An_admitted_group_whose_extras_found_no_room_waits_parked_for_capacity()
    {
        var time = new FakeTimeProvider(T0);
        var q = new SchedulingQueue(time);
        var g = Single("elastic");
        q.AddOrUpdate(g);
        q.Done(Admitted(g) with { NotPlaced = [new ObjectKey("ns", "elastic-extra")] });
        Assert.That(q.LaneOf(g.Key), Is.EqualTo(QueueLane.Unschedulable));
        Assert.That(q.Ready(), Is.Empty);
        q.Done(Admitted(g));
        Assert.That(q.LaneOf(g.Key), Is.Null, "admitted whole: it leaves the queue");
    }

    [Test]
    public void Room_freed_where_the_minimum_still_cannot_fit_wakes_nobody_but_a_new_node_does()
    {
        var time = new FakeTimeProvider(T0);
        var q = new SchedulingQueue(time);
        var cache = new Quorum.Core.Snapshot.ClusterCache(time);
        foreach (var name in new[] { "n1", "n2" })
            cache.AddOrUpdateNode(new Node(name, new ResourceVector(64_000, 1L << 40, 8, 110)));
        var snapshot = new Quorum.Core.Snapshot.ClusterSnapshot();
        cache.UpdateSnapshot(snapshot);
        var spec = new PodGroupSpec(new ObjectKey("ns", "wide")) { MinMember = 3, CreationTimestamp = T0 };
        var wide = new GangRequest(PodGroupValidator.Validate(spec, _ => null).Tree!, Pods.Replicas("ns", "wide", 3, 8, "wide", null, created: T0));
        q.AddOrUpdate(wide);
        q.Done(Refused(wide));
        time.Advance(TimeSpan.FromMinutes(1));
        var filters = Quorum.Core.Profiles.SchedulerProfile.Default().Filters;

        q.OnCapacityFreed(["n1"], snapshot, filters, null);
        Assert.That(q.LaneOf(wide.Key), Is.EqualTo(QueueLane.Unschedulable), "16 GPUs free in all: 3 × 8 cannot fit, trying again would say the same");

        q.OnNodesChanged(["n2"], snapshot, filters);
        Assert.That(q.Ready().Select(r => r.Key.Name), Is.EqualTo(new[] { "wide" }), "a node added or changed is retried as kube-scheduler does: the message must count it");
    }
}
