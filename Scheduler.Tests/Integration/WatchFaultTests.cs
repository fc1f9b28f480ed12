namespace Quorum.Tests.Integration;

/// <summary>
/// Watches break in production: connections reset, API servers restart, history is compacted. The
/// scheduler must come back knowing exactly what the cluster holds — no pod lost, none counted twice,
/// none bound twice.
/// </summary>
public sealed class WatchFaultTests(string cluster) : IntegrationTest(cluster)
{
    /// <summary>Two 8-GPU nodes, one taken by another scheduler's pod; a running scheduler that knows it.</summary>
    private async Task<SchedulerInstance> HalfFullClusterAsync()
    {
        await Cluster.NodeAsync("n1");
        await Cluster.NodeAsync("n2");
        await Cluster.PodAsync("filler", gpus: 8, scheduler: "default-scheduler", node: "n1");
        var scheduler = await StartSchedulerAsync();
        await Cluster.PodAsync("first", gpus: 8);
        Assert.That((await BoundAsync("first"))["first"], Is.EqualTo("n2"), "n1 is known to be full");
        return scheduler;
    }

    /// <summary>Every bind the scheduler sent went through once: no retries of a bound pod, no 409.</summary>
    private static void AssertEachPodBoundOnce(SchedulerInstance scheduler)
    {
        var binds = scheduler.Transport.Binds;
        Assert.That(binds.Where(b => b.Status == 409), Is.Empty, "no pod was bound twice");
        Assert.That(binds.GroupBy(b => b.Pod).Where(g => g.Count(b => b.Committed) != 1).Select(g => g.Key), Is.Empty, "each pod bound exactly once");
    }

    [Test]
    public async Task After_watches_reset_the_scheduler_resumes_and_sees_what_changed_while_it_was_cut_off()
    {
        var scheduler = await HalfFullClusterAsync();
        var watches = scheduler.Transport.WatchesOpened;

        // Cut off from reads: the changes below reach the scheduler only through the resumed watches.
        scheduler.Transport.BlockReads(true);
        await Cluster.DeletePodAsync("filler");
        await Cluster.PodAsync("second", gpus: 8);
        await Task.Delay(500);
        Assert.That(await Cluster.NodeOfAsync("second"), Is.Null);
        scheduler.Transport.BlockReads(false);

        Assert.That((await BoundAsync("second"))["second"], Is.EqualTo("n1"), "the resumed watch delivered the delete and the new pod");
        Assert.That(scheduler.Transport.WatchesOpened, Is.GreaterThan(watches), "the watches were opened again");
        await Cluster.PodAsync("third", gpus: 8);
        await SettleAsync();
        Assert.That(await Cluster.NodeOfAsync("third"), Is.Null, "both nodes are full: nothing was counted as free that is not");
        AssertEachPodBoundOnce(scheduler);
    }

    [Test]
    public async Task When_history_is_gone_the_scheduler_relists_and_learns_of_deletes_it_never_saw()
    {
        var scheduler = await HalfFullClusterAsync();

        scheduler.Transport.BlockReads(true);
        await Cluster.DeletePodAsync("filler");
        await Cluster.PodAsync("second", gpus: 8);
        // The DELETED event of "filler" is gone with the history: resuming gets 410, only a relist shows it.
        Cluster.ExpireWatchHistory(scheduler.Transport);
        await Task.Delay(300);
        scheduler.Transport.BlockReads(false);

        Assert.That((await BoundAsync("second"))["second"], Is.EqualTo("n1"), "after the relist n1 is known to be free");
        await Cluster.PodAsync("third", gpus: 8);
        await SettleAsync();
        Assert.That(await Cluster.NodeOfAsync("third"), Is.Null, "after the relist no pod is counted twice or forgotten");
        AssertEachPodBoundOnce(scheduler);
    }

    [Test]
    public async Task Watches_reset_or_ended_in_the_middle_of_a_gang_bind_it_once_and_whole()
    {
        for (var i = 0; i < 4; i++) await Cluster.NodeAsync($"n{i}");
        var scheduler = await StartSchedulerAsync();
        await Cluster.PodGroupAsync("gang", new Quorum.Kubernetes.PodGroupSpecResource { MinMember = 4 });
        for (var i = 0; i < 4; i++) await Cluster.PodAsync($"gang-{i}", group: "gang");
        // Reset the watches while the gang's pods arrive and bind: the binds' own events come back
        // through resumed watches.
        for (var i = 0; i < 6; i++)
        {
            // Resets and clean ends (a watch's timeoutSeconds running out) alternate.
            if (i % 2 == 0) scheduler.Transport.DropWatches();
            else scheduler.Transport.EndWatches();
            await Task.Delay(100);
        }
        var nodes = await BoundAsync("gang-0", "gang-1", "gang-2", "gang-3");
        Assert.That(nodes.Values.Distinct().Count(), Is.EqualTo(4));
        await SettleAsync();
        AssertEachPodBoundOnce(scheduler);
    }
}
