using Quorum.Kubernetes;

namespace Quorum.Tests.Integration;

/// <summary>
/// Binds fail: the API server is overloaded, times out after committing, the pod was deleted. Bound
/// members stay and count, the rest is retried with backoff, and nothing is bound twice.
/// </summary>
public sealed class BindFailureTests(string cluster) : IntegrationTest(cluster)
{
    private async Task GangAsync(string name, int pods, PodGroupSpecResource? spec = null)
    {
        await Cluster.PodGroupAsync(name, spec ?? new PodGroupSpecResource { MinMember = pods });
        for (var i = 0; i < pods; i++) await Cluster.PodAsync($"{name}-{i}", group: name);
    }

    [Test]
    public async Task A_failed_bind_keeps_the_bound_members_and_the_rest_is_bound_after_backoff()
    {
        for (var i = 0; i < 4; i++) await Cluster.NodeAsync($"n{i}");
        var scheduler = await StartSchedulerAsync();
        scheduler.Transport.FailBinds(pod => pod == "job-2", statusCode: 500, times: 1);
        await GangAsync("job", 4);

        var nodes = await BoundAsync("job-0", "job-1", "job-2", "job-3");
        var binds = scheduler.Transport.Binds;
        Assert.Multiple(async () =>
        {
            Assert.That(nodes.Values.Distinct().Count(), Is.EqualTo(4));
            Assert.That(binds.Where(b => b.Pod == "job-2").Select(b => b.Status), Is.EqualTo(new[] { 500, 201 }), "failed once, then bound");
            Assert.That(binds.Where(b => b.Pod != "job-2").Select(b => b.Status), Is.All.EqualTo(201), "the others were bound once and kept");
            Assert.That(binds.Single(b => b.Pod == "job-2" && b.Committed).Node, Is.EqualTo(binds.First(b => b.Pod == "job-2").Node),
                "the retry goes where the gang's placement put it");
            // The refusal says "waiting for pods" first; the bind failure's Event comes through the status writer later.
            IReadOnlyList<k8s.Models.Eventsv1Event> events = [];
            await TestCluster.WaitUntilAsync(async () => (events = await Cluster.EventsAboutAsync("job", "PodGroup")).Any(e => e.Note.Contains("binds failed", StringComparison.Ordinal)),
                "the bind failure is told on the PodGroup");
            Assert.That(events.Select(e => e.Note), Has.Some.Contains("1 of 4 binds failed").And.Some.Contains("3 bound pods stay"));
        });
    }

    [Test]
    public async Task A_bind_that_timed_out_after_the_server_committed_it_is_not_sent_again()
    {
        for (var i = 0; i < 3; i++) await Cluster.NodeAsync($"n{i}");
        var scheduler = await StartSchedulerAsync();
        scheduler.Transport.FailBinds(pod => pod == "job-1", statusCode: 504, afterCommit: true, times: 1);
        await GangAsync("job", 2);

        var nodes = await BoundAsync("job-0", "job-1");
        await Cluster.PodAsync("late", gpus: 8);
        nodes = await BoundAsync("job-0", "job-1", "late");
        await SettleAsync();
        var binds = scheduler.Transport.Binds;
        Assert.Multiple(() =>
        {
            Assert.That(binds.Where(b => b.Pod == "job-1").Select(b => (b.Status, b.Committed)), Is.EqualTo(new[] { (504, true) }),
                "the watch showed the pod bound; the scheduler did not bind it again");
            Assert.That(nodes.Values.Distinct().Count(), Is.EqualTo(3), "the timed-out pod's node was not given away to the late pod");
        });
    }

    [Test]
    public async Task A_restarted_scheduler_completes_a_half_bound_group_inside_the_domain_it_started_in()
    {
        const string clique = "nvidia.com/gpu.clique";
        await Cluster.TopologyAsync(clique, "kubernetes.io/hostname");
        for (var i = 0; i < 4; i++) await Cluster.NodeAsync($"a{i}", labels: new Dictionary<string, string> { [clique] = "clique-a" });
        for (var i = 0; i < 2; i++) await Cluster.NodeAsync($"b{i}", labels: new Dictionary<string, string> { [clique] = "clique-b" });

        var first = await StartSchedulerAsync("quorum-first");
        first.Transport.FailBinds(pod => pod is "job-2" or "job-3", statusCode: 503);
        await GangAsync("job", 4, new PodGroupSpecResource
        {
            MinMember = 4,
            TopologyConstraint = new TopologyConstraintResource { RequiredTopologyLevel = clique },
        });
        await BoundAsync("job-0", "job-1");
        await TestCluster.WaitUntilAsync(() => Task.FromResult(first.Transport.Binds.Count(b => b.Status == 503) >= 2), "the first instance tried the other two");
        await first.CrashAsync();
        var placements = await Cluster.PlacementsAsync();
        Assert.That(new[] { placements["job-2"], placements["job-3"] }, Is.All.Null, "the crash left the group half bound");

        // Two free nodes in clique-b would be the tightest fit for two pods, but the group's bound
        // members pin it to clique-a.
        var second = await StartSchedulerAsync("quorum-second");
        var nodes = await BoundAsync("job-0", "job-1", "job-2", "job-3");
        Assert.Multiple(() =>
        {
            Assert.That(nodes.Values, Is.All.StartsWith("a"));
            Assert.That(nodes.Values.Distinct().Count(), Is.EqualTo(4));
            Assert.That(second.Transport.Binds.Select(b => b.Pod).Order(), Is.EqualTo(new[] { "job-2", "job-3" }), "the bound members were left where they are");
        });
    }
}
