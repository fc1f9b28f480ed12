using k8s.Models;
using Quorum.Kubernetes;

namespace Quorum.Tests.Integration;

/// <summary>
/// Objects the API server accepts but Quorum cannot schedule as written: each is explained on the
/// object (Event, condition, PodGroup status), and the rest of the cluster goes on being scheduled.
/// </summary>
public sealed class BadObjectTests(string cluster) : IntegrationTest(cluster)
{
    private async Task<V1Pod> WaitForConditionAsync(string pod, string reason)
    {
        V1Pod? found = null;
        await TestCluster.WaitUntilAsync(async () => PodScheduled(found = await Cluster.GetPodAsync(pod))?.Reason == reason,
            $"pod {pod} has PodScheduled=False with reason {reason}");
        return found!;
    }

    [Test]
    public async Task An_invalid_PodGroup_is_failed_with_the_field_named_and_a_valid_gang_beside_it_is_bound()
    {
        await Cluster.NodeAsync("n1");
        await Cluster.NodeAsync("n2");
        // The CRD's schema cannot see a parent that names no sub-group; Quorum's validation does.
        await Cluster.PodGroupAsync("broken", new PodGroupSpecResource
        {
            SubGroups = [new SubGroupResource { Name = "prefill", Parent = "ghost", MinMember = 1 }],
        });
        await Cluster.PodAsync("broken-0", group: "broken", subGroup: "prefill");
        await Cluster.PodGroupAsync("good", new PodGroupSpecResource { MinMember = 2 });
        await Cluster.PodAsync("good-0", group: "good");
        await Cluster.PodAsync("good-1", group: "good");
        await StartSchedulerAsync();

        await BoundAsync("good-0", "good-1");
        await TestCluster.WaitUntilAsync(async () => (await Cluster.GetPodGroupAsync("broken")).Status?.Phase == "Failed", "the invalid group is Failed");
        const string expected = "spec.subGroups[0].parent: unknown sub-group \"ghost\"";
        var status = (await Cluster.GetPodGroupAsync("broken")).Status!;
        var pod = await WaitForConditionAsync("broken-0", "InvalidPodGroup");
        Assert.Multiple(async () =>
        {
            Assert.That(status.Conditions!.Single().Reason, Is.EqualTo("Invalid"));
            Assert.That(status.Conditions!.Single().Message, Does.Contain(expected));
            Assert.That((await EventsOnceAsync("broken", "PodGroup", "InvalidPodGroup")).Select(e => (e.Reason, e.Type)), Has.Member(("InvalidPodGroup", "Warning")));
            Assert.That(PodScheduled(pod)!.Message, Does.Contain(expected), "the pod says why too, where users look first");
            Assert.That(pod.Spec.NodeName, Is.Null);
        });
    }

    [Test]
    public async Task A_pod_naming_a_missing_group_or_sub_group_says_so_and_waits()
    {
        await Cluster.NodeAsync("n1");
        await Cluster.PodGroupAsync("real", new PodGroupSpecResource
        {
            MinSubGroup = 1,
            SubGroups = [new SubGroupResource { Name = "decode", MinMember = 1 }],
        });
        await Cluster.PodAsync("orphan", gpus: 1, group: "missing");
        await Cluster.PodAsync("lost", gpus: 1, group: "real", subGroup: "prefill");
        await StartSchedulerAsync();

        var orphan = await WaitForConditionAsync("orphan", "InvalidPodGroup");
        var lost = await WaitForConditionAsync("lost", "InvalidPodGroup");
        Assert.Multiple(async () =>
        {
            Assert.That(PodScheduled(orphan)!.Message, Does.Contain("PodGroup missing does not exist"));
            Assert.That(PodScheduled(lost)!.Message, Does.Contain("prefill"));
            Assert.That((await EventsOnceAsync("orphan", "Pod", "FailedScheduling")).Select(e => e.Reason), Has.Member("FailedScheduling"));
        });

        // Creating the group it names lets the pod in.
        await Cluster.PodGroupAsync("missing", new PodGroupSpecResource { MinMember = 1 });
        await BoundAsync("orphan");
    }

    [Test]
    public async Task A_pod_no_node_can_take_is_unschedulable_with_kube_schedulers_message_and_blocks_nobody()
    {
        await Cluster.NodeAsync("n1");
        await Cluster.PodAsync("huge", gpus: 16);
        await Cluster.PodAsync("fine", gpus: 8);
        await StartSchedulerAsync();

        await BoundAsync("fine");
        var huge = await WaitForConditionAsync("huge", "Unschedulable");
        Assert.Multiple(async () =>
        {
            Assert.That(PodScheduled(huge)!.Message, Does.Match(@"^0/\d+ nodes are available: .*1 Insufficient nvidia.com/gpu"));
            Assert.That((await EventsOnceAsync("huge", "Pod", "FailedScheduling")).Select(e => (e.Reason, e.Note)), Has.Member(("FailedScheduling", PodScheduled(huge)!.Message)));
        });
    }
}
