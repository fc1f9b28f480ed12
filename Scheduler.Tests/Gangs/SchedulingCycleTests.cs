using Microsoft.Extensions.Time.Testing;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Placement;
using Quorum.Core.Framework;
using Quorum.Core.Plugins;
using Quorum.Core.Profiles;
using Quorum.Core.Queue;
using Quorum.Benchmarks.Simulation;
using Quorum.Core.Topology;

namespace Quorum.Tests.Gangs;

public class SchedulingCycleTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z");

    private static SchedulingCycle Cycle(TimeSpan starvation, FakeTimeProvider? time = null) =>
        new(new GangAdmission(SchedulerProfile.Default(new PlacementOptions { StarvationThreshold = starvation })), time ?? new FakeTimeProvider(T0));

    private static GangTestCluster Hgx(int nodes) => new(ClusterProfile.HgxH100 with { NvLinkDomainsPerBlock = 8 }, nodes);

    [Test]
    public void Queue_order_is_priority_then_creation_then_name()
    {
        var c = Hgx(1);
        GangRequest One(string name, int priority, int minutes)
        {
            var pod = Pods.Gpu("ns", name, 8, priority: priority, created: T0.AddMinutes(minutes));
            return c.Request(PodGroupSpec.ForSinglePod(pod), [pod]);
        }
        var result = Cycle(TimeSpan.FromDays(1)).Run(c.Snapshot, [One("b-old", 0, 1), One("low", -5, 0), One("a-old", 0, 1), One("newer", 0, 2), One("high", 10, 9)]);
        Assert.That(result.Decisions.Select(d => d.Group.Name), Is.EqualTo(new[] { "high", "a-old", "b-old", "newer", "low" }));
        Assert.That(result.Decisions.Single(d => d.Admitted).Group.Name, Is.EqualTo("high"));
    }

    [Test]
    public void Extras_never_take_the_room_another_group_s_minimum_needs()
    {
        var c = Hgx(3);
        var a = c.Request(new PodGroupSpec(new ObjectKey("ns", "a")) { MinMember = 1, Priority = 10 }, Pods.Replicas("ns", "a", 3, 8, "a", null, priority: 10));
        var b = c.Request(new PodGroupSpec(new ObjectKey("ns", "b")) { MinMember = 2 }, Pods.Replicas("ns", "b", 2, 8, "b", null));

        var result = Cycle(TimeSpan.FromDays(1)).Run(c.Snapshot, [a, b]);

        Assert.That(result.Decisions.Select(d => (d.Group.Name, d.Admitted, d.Placements.Length)),
            Is.EqualTo(new[] { ("a", true, 1), ("b", true, 2) }));
    }

    [Test]
    public void A_starving_big_gang_reserves_the_domain_it_is_closest_to_fitting()
    {
        // Two blocks of 8 nodes; block 0 has one busy node, block 1 two: the 8-node gang fits neither.
        var c = Hgx(16);
        c.Occupy(0, 8).Occupy(8, 8).Occupy(9, 8).Refresh();
        var big = c.Request(new PodGroupSpec(new ObjectKey("ns", "big")) { MinMember = 8, Priority = 100, CreationTimestamp = T0, TopologyConstraint = new("default", TopologySpec.BlockLabel) },
            Pods.Replicas("ns", "big", 8, 8, "big", null, created: T0, priority: 100));
        var small = Enumerable.Range(0, 4).Select(i =>
        {
            var p = Pods.Gpu("ns", $"small-{i}", 8, created: T0.AddSeconds(i));
            return c.Request(PodGroupSpec.ForSinglePod(p), [p]);
        }).ToList();

        var time = new FakeTimeProvider(T0.AddMinutes(5));
        var starving = Cycle(TimeSpan.FromMinutes(1), time).Run(c.Snapshot, [big, .. small]);

        Assert.That(starving.Reservation, Is.Not.Null);
        Assert.That(starving.Reservation!.DomainPath, Is.EqualTo("block-0000"), "7 of 8 nodes free: the closest to fitting");
        var placedOn = starving.Decisions.SelectMany(d => d.Placements).Select(p => c.DomainOf(p.Node, 1)).ToList();
        Assert.That(placedOn, Has.Count.EqualTo(4));
        Assert.That(placedOn, Has.All.EqualTo("block-0001"), "small pods go around the reserved block");
    }

    [Test]
    public void The_reservation_stays_on_its_domain_when_another_frees_a_little_more()
    {
        var c = Hgx(16);
        c.Occupy(0, 8, "a").Occupy(8, 8, "b").Occupy(9, 8, "c").Refresh();
        var big = c.Request(new PodGroupSpec(new ObjectKey("ns", "big")) { MinMember = 8, Priority = 100, CreationTimestamp = T0, TopologyConstraint = new("default", TopologySpec.BlockLabel) },
            Pods.Replicas("ns", "big", 8, 8, "big", null, created: T0, priority: 100));
        var cycle = Cycle(TimeSpan.Zero, new FakeTimeProvider(T0.AddHours(1)));
        Assert.That(cycle.Run(c.Snapshot, [big]).Reservation!.DomainPath, Is.EqualTo("block-0000"));

        // Block 1 now has more free than block 0 had, but still not enough: the reservation holds.
        c.Cache.RemovePod(new ObjectKey("running", "b"));
        c.Occupy(1, 8, "d").Refresh();
        Assert.That(cycle.Run(c.Snapshot, [big]).Reservation!.DomainPath, Is.EqualTo("block-0000"));
        Assert.That(Cycle(TimeSpan.Zero, new FakeTimeProvider(T0.AddHours(1))).Run(c.Snapshot, [big]).Reservation!.DomainPath,
            Is.EqualTo("block-0001"), "a fresh cycle with no history would pick the freer block");
    }

    [Test]
    public void Before_the_starvation_threshold_small_work_packs_where_it_fits_best()
    {
        var c = Hgx(16);
        c.Occupy(0, 8).Occupy(8, 8).Occupy(9, 8).Refresh();
        var big = c.Request(new PodGroupSpec(new ObjectKey("ns", "big")) { MinMember = 8, Priority = 100, CreationTimestamp = T0, TopologyConstraint = new("default", TopologySpec.BlockLabel) },
            Pods.Replicas("ns", "big", 8, 8, "big", null, created: T0, priority: 100));
        var p = Pods.Gpu("ns", "small", 8, created: T0);
        var result = Cycle(TimeSpan.FromMinutes(10), new FakeTimeProvider(T0.AddMinutes(5))).Run(c.Snapshot, [big, c.Request(PodGroupSpec.ForSinglePod(p), [p])]);
        Assert.That(result.Reservation, Is.Null);
        Assert.That(c.DomainOf(result.Decisions.Single(d => d.Admitted).Placements[0].Node, 1), Is.EqualTo("block-0001"), "most-used block first");
    }

    [Test]
    public void A_gang_larger_than_any_domain_of_its_level_reserves_nothing()
    {
        var c = Hgx(16);
        c.Occupy(0, 8).Refresh();
        var big = c.Request(new PodGroupSpec(new ObjectKey("ns", "big")) { MinMember = 9, Priority = 100, CreationTimestamp = T0, TopologyConstraint = new("default", TopologySpec.BlockLabel) },
            Pods.Replicas("ns", "big", 9, 8, "big", null, created: T0, priority: 100));
        var small = c.Request(new PodGroupSpec(new ObjectKey("ns", "job")) { MinMember = 2, CreationTimestamp = T0 }, Pods.Replicas("ns", "job", 2, 8, "job", null));
        var result = Cycle(TimeSpan.Zero, new FakeTimeProvider(T0.AddHours(1))).Run(c.Snapshot, [big, small]);
        Assert.That(result.Reservation, Is.Null);
        Assert.That(result.Decisions.Single(d => d.Group.Name == "job").Admitted, Is.True);
    }
}
