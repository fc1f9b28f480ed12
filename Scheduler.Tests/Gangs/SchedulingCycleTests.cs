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

    private static readonly FakeTimeProvider Later = new(T0.AddMinutes(5));

    private static GangRequest StarvingGang(GangTestCluster c, int pods, Func<Pod, Pod> shape, int priority = 0)
    {
        var spec = new PodGroupSpec(new ObjectKey("ns", "starving")) { MinMember = pods, Priority = priority, CreationTimestamp = T0 };
        return c.Request(spec, Pods.Replicas("ns", "starving", pods, 8, "starving", null, created: T0, priority: priority).Select(shape));
    }

    private static GangRequest Single(GangTestCluster c, string name, long gpus = 8, int priority = 0)
    {
        var p = Pods.Gpu("ns", name, gpus, created: T0.AddSeconds(1), priority: priority);
        return c.Request(PodGroupSpec.ForSinglePod(p), [p]);
    }

    [Test]
    public void A_starving_gang_whose_selector_matches_no_node_reserves_nothing_and_blocks_nobody()
    {
        var c = Hgx(4);
        var typo = StarvingGang(c, 4, p => p with { NodeSelector = new Dictionary<string, string> { ["gpu-type"] = "h1000" } });

        var result = Cycle(TimeSpan.FromMinutes(1), Later).Run(c.Snapshot, [typo, Single(c, "ok")]);

        Assert.That(result.Decisions[0].Code, Is.EqualTo(StatusCode.Unresolvable), result.Decisions[0].Message);
        Assert.That(result.Reservation, Is.Null);
        Assert.That(result.Decisions[1].Admitted, Is.True, result.Decisions[1].Message);
    }

    [Test]
    public void A_starving_gang_that_tolerates_no_taint_reserves_nothing()
    {
        var c = new GangTestCluster(ClusterProfile.HgxH100, 0);
        foreach (var n in ClusterProfile.HgxH100.Nodes(2))
            c.Cache.AddOrUpdateNode(new Node(n.Name, n.Allocatable, n.Labels, [new Taint("dedicated", "infer", TaintEffect.NoSchedule)]));
        c.Refresh();
        var gang = StarvingGang(c, 2, p => p);
        var ok = Pods.Gpu("ns", "ok", 8, created: T0.AddSeconds(1)) with { Tolerations = [new Toleration("dedicated", TolerationOperator.Exists, null, null)] };

        var result = Cycle(TimeSpan.FromMinutes(1), Later).Run(c.Snapshot, [gang, c.Request(PodGroupSpec.ForSinglePod(ok), [ok])]);

        Assert.That(result.Decisions[0].Code, Is.EqualTo(StatusCode.Unresolvable), result.Decisions[0].Message);
        Assert.That(result.Reservation, Is.Null);
        Assert.That(result.Decisions[1].Admitted, Is.True, result.Decisions[1].Message);
    }

    [Test]
    public void A_reservation_holds_only_nodes_the_gang_can_use_and_its_message_names_gang_and_priority()
    {
        // Nodes 0-1 are labelled for the gang and busy; 2-3 are free but the gang's selector excludes them.
        var c = new GangTestCluster(ClusterProfile.HgxH100, 0);
        var nodes = ClusterProfile.HgxH100.Nodes(4).ToList();
        for (var i = 0; i < 4; i++)
            c.Cache.AddOrUpdateNode(i < 2 ? new Node(nodes[i].Name, nodes[i].Allocatable, new Dictionary<string, string>(nodes[i].Labels) { ["pool"] = "train" }) : nodes[i]);
        c.Occupy(0, 4).Refresh();
        var gang = StarvingGang(c, 2, p => p with { NodeSelector = new Dictionary<string, string> { ["pool"] = "train" } }, priority: 50);
        var onPool = Pods.Gpu("ns", "pool-user", 4, created: T0.AddSeconds(1)) with { NodeSelector = new Dictionary<string, string> { ["pool"] = "train" } };

        var result = Cycle(TimeSpan.FromMinutes(1), Later).Run(c.Snapshot, [gang, Single(c, "elsewhere-0"), Single(c, "elsewhere-1"), c.Request(PodGroupSpec.ForSinglePod(onPool), [onPool])]);

        Assert.That(result.Decisions[0].Code, Is.EqualTo(StatusCode.Unschedulable), "freed capacity on the pool would let it run");
        Assert.That(result.Reservation, Is.Not.Null);
        Assert.That(Enumerable.Range(0, 4).Where(i => result.Reservation!.Blocks(c.Snapshot.Find(GangTestCluster.NodeName(i))!.Slot)), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(result.Decisions.Where(d => d.Group.Name.StartsWith("elsewhere", StringComparison.Ordinal)).Select(d => d.Admitted), Is.EqualTo(new[] { true, true }),
            "pods that can use only the other nodes are not affected");
        var blocked = result.Decisions.Single(d => d.Group.Name == "pool-user");
        Assert.That(blocked.Admitted, Is.False);
        Assert.That(blocked.Message, Does.Contain("held for starving gang ns/starving (priority 50)"));
    }

    [Test]
    public void A_gang_larger_than_any_domain_of_its_required_level_reserves_nothing()
    {
        var c = Hgx(16);
        c.Occupy(0, 8).Refresh();
        var spec = new PodGroupSpec(new ObjectKey("ns", "huge")) { MinMember = 9, CreationTimestamp = T0, TopologyConstraint = new("default", TopologySpec.BlockLabel) };
        var huge = c.Request(spec, Pods.Replicas("ns", "huge", 9, 8, "huge", null, created: T0));

        var result = Cycle(TimeSpan.FromMinutes(1), Later).Run(c.Snapshot, [huge, Single(c, "ok")]);

        Assert.That(result.Decisions[0].Code, Is.EqualTo(StatusCode.Unresolvable), result.Decisions[0].Message);
        Assert.That(result.Reservation, Is.Null);
        Assert.That(result.Decisions[1].Admitted, Is.True);
    }

    [TestCase(false, 1)]
    [TestCase(true, 0)]
    public void A_pod_avoids_a_PreferNoSchedule_node_unless_it_tolerates_the_taint(bool tolerates, int expected)
    {
        // Node 0 is half used, so GPU best fit alone would pick it; its PreferNoSchedule taint weighs more.
        var c = new GangTestCluster(ClusterProfile.HgxH100, 0);
        var nodes = ClusterProfile.HgxH100.Nodes(2).ToList();
        c.Cache.AddOrUpdateNode(new Node(nodes[0].Name, nodes[0].Allocatable, nodes[0].Labels, [new Taint("spot", "true", TaintEffect.PreferNoSchedule)]));
        c.Cache.AddOrUpdateNode(nodes[1]);
        c.Occupy(0, 4).Refresh();
        var pod = Pods.Gpu("ns", "p", 4, created: T0);
        if (tolerates) pod = pod with { Tolerations = [new Toleration("spot", TolerationOperator.Equal, "true", TaintEffect.PreferNoSchedule)] };

        var result = Cycle(TimeSpan.FromDays(1)).Run(c.Snapshot, [c.Request(PodGroupSpec.ForSinglePod(pod), [pod])]);

        Assert.That(result.Decisions[0].Placements.Single().Node, Is.EqualTo(GangTestCluster.NodeName(expected)));
    }
}
