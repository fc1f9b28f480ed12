using Microsoft.Extensions.Time.Testing;
using Quorum.Core.Model;
using Quorum.Benchmarks.Simulation;
using Quorum.Core.Snapshot;

namespace Quorum.Tests.Snapshot;

public class ClusterCacheTests
{
    private static readonly ClusterProfile Profile = ClusterProfile.Gb200Nvl72;

    private static (ClusterCache Cache, ClusterSnapshot Snapshot, FakeTimeProvider Time) Cluster(int nodes)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
        var cache = new ClusterCache(time, new CacheOptions { AssumedPodTtl = TimeSpan.FromSeconds(30) });
        foreach (var n in Profile.Nodes(nodes)) cache.AddOrUpdateNode(n);
        cache.SetTopology(Profile.Topology);
        var snapshot = new ClusterSnapshot();
        cache.UpdateSnapshot(snapshot);
        return (cache, snapshot, time);
    }

    [Test]
    public void An_assumed_pod_takes_capacity_in_the_next_snapshot()
    {
        var (cache, snapshot, _) = Cluster(4);
        var pod = Pods.Gpu("ns", "p", 4);
        Assert.That(cache.AssumePod(pod, "node-000001").Outcome, Is.EqualTo(CacheOutcome.Applied));
        cache.UpdateSnapshot(snapshot);
        Assert.That(snapshot.Find("node-000001")!.FreeGpu, Is.EqualTo(0));
        Assert.That(snapshot.Tree("default")!.FreeGpu(0), Is.EqualTo(12));
    }

    [Test]
    public void An_assumed_pod_expires_after_the_ttl_unless_confirmed()
    {
        var (cache, snapshot, time) = Cluster(2);
        cache.AssumePod(Pods.Gpu("ns", "lost", 4), "node-000000");
        cache.AssumePod(Pods.Gpu("ns", "bound", 4), "node-000001");
        cache.AddOrUpdatePod(Pods.Gpu("ns", "bound", 4, node: "node-000001"));
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.That(cache.ExpireAssumedPods(), Is.Empty);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.That(cache.ExpireAssumedPods().Select(p => p.Key.Name), Is.EqualTo(new[] { "lost" }));
        cache.UpdateSnapshot(snapshot);
        Assert.That(snapshot.Find("node-000000")!.FreeGpu, Is.EqualTo(4));
        Assert.That(snapshot.Find("node-000001")!.FreeGpu, Is.EqualTo(0));
    }

    [Test]
    public void Forgetting_a_failed_bind_frees_the_node()
    {
        var (cache, snapshot, _) = Cluster(1);
        var pod = Pods.Gpu("ns", "p", 2);
        cache.AssumePod(pod, "node-000000");
        Assert.That(cache.ForgetPod(pod.Key).Outcome, Is.EqualTo(CacheOutcome.Applied));
        cache.UpdateSnapshot(snapshot);
        Assert.That(snapshot.Find("node-000000")!.FreeGpu, Is.EqualTo(4));
    }

    [Test]
    public void A_pod_bound_elsewhere_than_assumed_moves_its_accounting()
    {
        var (cache, _, _) = Cluster(2);
        cache.AssumePod(Pods.Gpu("ns", "p", 2), "node-000000");
        cache.AddOrUpdatePod(Pods.Gpu("ns", "p", 2, node: "node-000001"));
        Assert.Multiple(() =>
        {
            Assert.That(cache.RequestedOn("node-000000").Gpu, Is.EqualTo(0));
            Assert.That(cache.RequestedOn("node-000001").Gpu, Is.EqualTo(2));
            Assert.That(cache.IsAssumed(new ObjectKey("ns", "p")), Is.False);
        });
    }

    [Test]
    public void Pods_of_other_schedulers_count_against_capacity()
    {
        var (cache, snapshot, _) = Cluster(1);
        cache.AddOrUpdatePod(Pods.Gpu("ns", "other", 3, node: "node-000000") with { SchedulerName = "default-scheduler" });
        cache.UpdateSnapshot(snapshot);
        Assert.That(snapshot.Find("node-000000")!.FreeGpu, Is.EqualTo(1));
    }

    [Test]
    public void A_pod_on_a_node_not_seen_yet_is_kept_until_the_node_arrives()
    {
        var cache = new ClusterCache();
        cache.AddOrUpdatePod(Pods.Gpu("ns", "early", 3, node: "late-node"));
        var snapshot = new ClusterSnapshot();
        cache.UpdateSnapshot(snapshot);
        Assert.That(snapshot.NodeCount, Is.EqualTo(0));
        cache.AddOrUpdateNode(new Node("late-node", new ResourceVector(1000, 1 << 30, 8, 110)));
        cache.UpdateSnapshot(snapshot);
        Assert.That(snapshot.Find("late-node")!.FreeGpu, Is.EqualTo(5));
    }

    [Test]
    public void Deleting_a_node_before_its_pods_loses_no_pod()
    {
        var (cache, snapshot, _) = Cluster(1);
        cache.AddOrUpdatePod(Pods.Gpu("ns", "p", 3, node: "node-000000"));
        cache.RemoveNode("node-000000");
        cache.UpdateSnapshot(snapshot);
        Assert.That(snapshot.NodeCount, Is.EqualTo(0));
        Assert.That(cache.FindPod(new ObjectKey("ns", "p")), Is.Not.Null);
        // The node comes back (e.g. a kubelet re-registers): its pod still counts.
        cache.AddOrUpdateNode(Profile.NodeAt(0));
        cache.UpdateSnapshot(snapshot);
        Assert.That(snapshot.Find("node-000000")!.FreeGpu, Is.EqualTo(1));
    }

    [Test]
    public void Events_for_unknown_objects_are_ignored_with_a_reason()
    {
        var (cache, _, _) = Cluster(1);
        Assert.Multiple(() =>
        {
            var r = cache.RemovePod(new ObjectKey("ns", "ghost"));
            Assert.That(r.Outcome, Is.EqualTo(CacheOutcome.Ignored));
            Assert.That(r.Reason, Does.Contain("ns/ghost"));
            Assert.That(cache.RemoveNode("ghost").Outcome, Is.EqualTo(CacheOutcome.Ignored));
            Assert.That(cache.ForgetPod(new ObjectKey("ns", "ghost")).Outcome, Is.EqualTo(CacheOutcome.Ignored));
            var onto = cache.AssumePod(Pods.Gpu("ns", "p", 1), "ghost-node");
            Assert.That(onto.Outcome, Is.EqualTo(CacheOutcome.Rejected));
            Assert.That(onto.Reason, Does.Contain("ghost-node"));
        });
    }

    [Test]
    public void Assuming_a_pod_twice_is_refused_and_counts_once()
    {
        var (cache, _, _) = Cluster(1);
        var pod = Pods.Gpu("ns", "p", 1);
        cache.AssumePod(pod, "node-000000");
        Assert.That(cache.AssumePod(pod, "node-000000").Outcome, Is.EqualTo(CacheOutcome.Rejected));
        Assert.That(cache.RequestedOn("node-000000").Gpu, Is.EqualTo(1));
    }

    [Test]
    public void Duplicate_add_events_are_idempotent()
    {
        var (cache, _, _) = Cluster(1);
        var pod = Pods.Gpu("ns", "p", 1, node: "node-000000");
        cache.AddOrUpdatePod(pod);
        cache.AddOrUpdatePod(pod);
        cache.AddOrUpdateNode(Profile.NodeAt(0));
        Assert.That(cache.RequestedOn("node-000000").Gpu, Is.EqualTo(1));
    }

    [Test]
    public void A_terminated_pod_releases_its_resources()
    {
        var (cache, _, _) = Cluster(1);
        var pod = Pods.Gpu("ns", "p", 4, node: "node-000000");
        cache.AddOrUpdatePod(pod);
        cache.AddOrUpdatePod(pod with { Terminated = true });
        Assert.That(cache.RequestedOn("node-000000").Gpu, Is.EqualTo(0));
    }

    [Test]
    public void Malformed_objects_cannot_be_built()
    {
        Assert.Throws<ArgumentException>(() => _ = new Node("n", new ResourceVector(-1, 0, 0, 0)));
        Assert.Throws<ArgumentException>(() => _ = new Pod(new ObjectKey("ns", "p"), new ResourceVector(0, 0, -2, 0)));
        Assert.Throws<ArgumentException>(() => _ = new Pod(new ObjectKey("", "p"), default));
    }

    [Test]
    public void An_update_copies_only_nodes_that_changed()
    {
        var (cache, snapshot, _) = Cluster(100);
        var before = snapshot.Nodes.ToDictionary(n => n.Name, n => n.Generation);
        cache.AddOrUpdatePod(Pods.Gpu("ns", "p", 1, node: "node-000042"));
        cache.UpdateSnapshot(snapshot);
        var changed = snapshot.Nodes.Where(n => n.Generation != before[n.Name]).Select(n => n.Name).ToList();
        Assert.That(changed, Is.EqualTo(new[] { "node-000042" }));
    }

    [Test]
    public void Nodes_without_a_level_label_land_in_an_unlabelled_domain()
    {
        var cache = new ClusterCache();
        cache.SetTopology(Profile.Topology);
        cache.AddOrUpdateNode(Profile.NodeAt(0));
        cache.AddOrUpdateNode(new Node("bare", new ResourceVector(1000, 1 << 30, 8, 110)));
        var snapshot = new ClusterSnapshot();
        cache.UpdateSnapshot(snapshot);
        var paths = snapshot.Tree("default")!.NonEmptyDomains().Select(d => d.Path).ToList();
        Assert.That(paths, Does.Contain("<unlabelled>/<unlabelled>/<unlabelled>"));
        Assert.That(snapshot.Tree("default")!.FreeGpu(0), Is.EqualTo(12));
    }
}
