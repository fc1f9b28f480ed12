using k8s;
using k8s.Models;
using Quorum.Kubernetes;

namespace Quorum.Tests.Integration;

/// <summary>What users rely on from a running scheduler: gangs bound whole or not at all, and told why.</summary>
public sealed class GangSchedulingTests(string cluster) : IntegrationTest(cluster)
{
    private async Task GangAsync(string group, int pods, int gpus = 8, int? minMember = null, int? timeoutSeconds = null)
    {
        await Cluster.PodGroupAsync(group, new PodGroupSpecResource { MinMember = minMember ?? pods, ScheduleTimeoutSeconds = timeoutSeconds });
        for (var i = 0; i < pods; i++) await Cluster.PodAsync($"{group}-{i}", gpus, group: group);
    }

    [Test]
    public async Task A_gang_waits_unbound_until_all_of_it_fits_then_is_bound_whole_and_its_status_follows()
    {
        await Cluster.NodeAsync("n1");
        await Cluster.NodeAsync("n2");
        await GangAsync("train", pods: 3);
        await StartSchedulerAsync();

        await TestCluster.WaitUntilAsync(async () => (await Cluster.GetPodGroupAsync("train")).Status?.Conditions?.Any(c => c.Reason == "Unschedulable") == true,
            "the group's status says it is unschedulable");
        var group = await Cluster.GetPodGroupAsync("train");
        var condition = group.Status!.Conditions!.Single(c => c.Type == "PodGroupScheduled");
        Assert.Multiple(() =>
        {
            Assert.That(group.Status.Phase, Is.EqualTo("Pending"));
            Assert.That(condition.Status, Is.EqualTo("False"));
            Assert.That(condition.Message, Does.StartWith("group needs 3 pods × 8 nvidia.com/gpu"));
        });
        await TestCluster.WaitUntilAsync(async () => PodScheduled(await Cluster.GetPodAsync("train-2"))?.Reason == "Unschedulable",
            "every pod carries PodScheduled=False/Unschedulable, as autoscalers read it");
        var pod = await Cluster.GetPodAsync("train-0");
        Assert.Multiple(async () =>
        {
            Assert.That(pod.Spec.NodeName, Is.Null, "no member bound while the gang does not fit");
            Assert.That(PodScheduled(pod)!.Status, Is.EqualTo("False"));
            Assert.That(PodScheduled(pod)!.Message, Is.EqualTo(condition.Message), "the pod says what the group says");
            Assert.That((await EventsOnceAsync("train", "PodGroup", "FailedScheduling")).Select(e => (e.Reason, e.Note)),
                Has.Member(("FailedScheduling", condition.Message)));
            Assert.That((await Cluster.PlacementsAsync()).Values, Is.All.Null);
        });

        await Cluster.NodeAsync("n3");
        var nodes = await BoundAsync("train-0", "train-1", "train-2");
        Assert.That(nodes.Values.Order(), Is.EqualTo(new[] { "n1", "n2", "n3" }));
        await TestCluster.WaitUntilAsync(async () => (await Cluster.GetPodGroupAsync("train")).Status?.Phase == "Scheduled", "the group is Scheduled");
        Assert.Multiple(async () =>
        {
            var status = (await Cluster.GetPodGroupAsync("train")).Status!;
            Assert.That(status.Scheduled, Is.EqualTo(3));
            Assert.That(status.SubGroups ?? [], Is.Empty, "a group without sub-groups lists none");
            Assert.That(status.Conditions!.Single(c => c.Type == "PodGroupScheduled").Status, Is.EqualTo("True"));
            Assert.That(PodScheduled(await Cluster.GetPodAsync("train-1"))!.Status, Is.EqualTo("True"), "the binding set PodScheduled=True");
            Assert.That((await EventsOnceAsync("train-1", "Pod", "Scheduled")).Select(e => e.Reason), Has.Member("Scheduled"));
        });

        // The kubelet reports the containers running: the group follows, though nothing is left to schedule.
        foreach (var p in nodes.Keys) await Cluster.MarkRunningAsync(p);
        await TestCluster.WaitUntilAsync(async () => (await Cluster.GetPodGroupAsync("train")).Status?.Phase == "Running", "the group is Running");
    }

    [Test]
    public async Task Plain_pods_are_scheduled_one_by_one_and_packed_and_pods_of_other_schedulers_are_left_alone()
    {
        await Cluster.NodeAsync("n1");
        await Cluster.NodeAsync("n2");
        await StartSchedulerAsync();
        await Cluster.PodAsync("small-a", gpus: 4);
        await BoundAsync("small-a");
        await Cluster.PodAsync("small-b", gpus: 4);
        await Cluster.PodAsync("whole", gpus: 8);
        await Cluster.PodAsync("theirs", gpus: 1, scheduler: "default-scheduler");
        var nodes = await BoundAsync("small-a", "small-b", "whole");
        Assert.That(nodes["small-a"], Is.EqualTo(nodes["small-b"]), "small pods share a node, so a whole node stays free");
        Assert.That(nodes["whole"], Is.Not.EqualTo(nodes["small-a"]));
        await SettleAsync();
        Assert.That(await Cluster.NodeOfAsync("theirs"), Is.Null, "a pod for another scheduler is not Quorum's to bind");
    }

    [Test]
    public async Task Pods_bound_by_other_schedulers_take_capacity()
    {
        await Cluster.NodeAsync("n1");
        await Cluster.NodeAsync("n2");
        await Cluster.PodAsync("other", gpus: 8, scheduler: "default-scheduler", node: "n1");
        await StartSchedulerAsync();
        await GangAsync("pair", pods: 2);
        await TestCluster.WaitUntilAsync(async () => (await Cluster.GetPodGroupAsync("pair")).Status?.Conditions?.Any(c => c.Reason == "Unschedulable") == true,
            "the pair waits: n1 is taken by another scheduler's pod");
        Assert.That((await Cluster.PlacementsAsync())["pair-0"], Is.Null);

        await Cluster.DeletePodAsync("other");
        var nodes = await BoundAsync("pair-0", "pair-1");
        Assert.That(nodes.Values.Order(), Is.EqualTo(new[] { "n1", "n2" }));
    }

    [Test]
    public async Task Pods_with_scheduling_gates_wait_and_their_gang_with_them()
    {
        await Cluster.NodeAsync("n1");
        await Cluster.NodeAsync("n2");
        await Cluster.PodGroupAsync("gated", new PodGroupSpecResource { MinMember = 2 });
        await Cluster.PodAsync("gated-0", group: "gated");
        var gated = await Cluster.PodAsync("gated-1", group: "gated", gates: [new V1PodSchedulingGate { Name = "example.com/quota" }]);
        if (gated.Spec.SchedulingGates is not { Count: > 0 })
            Assert.Ignore("this API server drops spec.schedulingGates (Kubernetes before 1.26)");
        await StartSchedulerAsync();
        await TestCluster.WaitUntilAsync(async () => (await Cluster.GetPodGroupAsync("gated")).Status?.Conditions is not null, "the group has a status");
        await SettleAsync();
        Assert.That((await Cluster.PlacementsAsync()).Values, Is.All.Null, "half a gang is not bound while its other half is gated");

        await Cluster.Admin.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"spec":{"schedulingGates":null}}""", V1Patch.PatchType.MergePatch),
            "gated-1", Cluster.Namespace);
        await BoundAsync("gated-0", "gated-1");
    }

    [Test]
    public async Task A_gang_with_a_required_level_lands_inside_one_domain_of_it()
    {
        const string clique = "nvidia.com/gpu.clique";
        await Cluster.TopologyAsync(clique, "kubernetes.io/hostname");
        foreach (var n in new[] { "a1", "a2" }) await Cluster.NodeAsync(n, labels: new Dictionary<string, string> { [clique] = "clique-a" });
        foreach (var n in new[] { "b1", "b2", "b3" }) await Cluster.NodeAsync(n, labels: new Dictionary<string, string> { [clique] = "clique-b" });
        await StartSchedulerAsync();
        await Cluster.PodGroupAsync("tp", new PodGroupSpecResource
        {
            MinMember = 3,
            TopologyConstraint = new TopologyConstraintResource { RequiredTopologyLevel = clique },
        });
        for (var i = 0; i < 3; i++) await Cluster.PodAsync($"tp-{i}", gpus: 8, group: "tp");
        var nodes = await BoundAsync("tp-0", "tp-1", "tp-2");
        Assert.That(nodes.Values, Is.All.StartsWith("b"), "three whole-node pods fit in clique-b only, and the constraint keeps them together there");
    }

    [Test]
    public async Task A_group_past_its_schedule_timeout_is_marked_and_stays_queued()
    {
        await Cluster.NodeAsync("n1");
        await GangAsync("slow", pods: 2, timeoutSeconds: 1);
        await StartSchedulerAsync();
        await TestCluster.WaitUntilAsync(async () => (await Cluster.GetPodGroupAsync("slow")).Status?.Conditions?.Any(c => c.Type == "ScheduleTimeout" && c.Status == "True") == true,
            "the group is marked ScheduleTimeout");
        Assert.That((await Cluster.GetPodGroupAsync("slow")).Status!.Phase, Is.EqualTo("Pending"));

        await Cluster.NodeAsync("n2");
        await BoundAsync("slow-0", "slow-1");
        await TestCluster.WaitUntilAsync(async () => (await Cluster.GetPodGroupAsync("slow")).Status?.Conditions?.Any(c => c.Type == "ScheduleTimeout") == false,
            "the timeout mark goes once the group is scheduled");
    }

    [Test]
    public async Task A_large_waiting_gang_gets_a_condition_on_every_pod_but_only_a_few_events()
    {
        await Cluster.NodeAsync("n1");
        await GangAsync("big", pods: 40, gpus: 1, minMember: 40);
        await StartSchedulerAsync();
        await TestCluster.WaitUntilAsync(async () =>
        {
            var pods = await Cluster.Admin.CoreV1.ListNamespacedPodAsync(Cluster.Namespace);
            return pods.Items.All(p => PodScheduled(p)?.Reason == "WaitingForPods" || PodScheduled(p)?.Reason == "Unschedulable");
        }, "all 40 pods carry the condition");
        await SettleAsync();
        var events = await Cluster.Admin.EventsV1.ListNamespacedEventAsync(Cluster.Namespace);
        var failed = events.Items.Where(e => e.Reason == "FailedScheduling").ToList();
        Assert.That(failed.Count(e => e.Regarding.Kind == "Pod"), Is.InRange(1, 5), "at most five pod events per attempt, and the same message not repeated within a minute");
        Assert.That(failed.Count(e => e.Regarding.Kind == "PodGroup"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_new_message_on_a_still_unschedulable_gang_is_not_a_condition_transition()
    {
        await Cluster.NodeAsync("n1");
        await GangAsync("wide", pods: 3);
        await StartSchedulerAsync();
        V1Condition? first = null;
        await TestCluster.WaitUntilAsync(async () => (first = (await Cluster.GetPodGroupAsync("wide")).Status?.Conditions?.FirstOrDefault(c => c.Type == "PodGroupScheduled" && c.Reason == "Unschedulable")) is not null,
            "the gang is unschedulable");
        // The pod's condition is a write of its own: wait for it too.
        V1PodCondition? firstPod = null;
        await TestCluster.WaitUntilAsync(async () => (firstPod = PodScheduled(await Cluster.GetPodAsync("wide-0"))) is { Reason: "Unschedulable" },
            "the pod says it is unschedulable");
        await Task.Delay(TimeSpan.FromSeconds(1.2)); // timestamps have whole seconds

        await Cluster.NodeAsync("n2");
        V1Condition? second = null;
        await TestCluster.WaitUntilAsync(async () => (second = (await Cluster.GetPodGroupAsync("wide")).Status!.Conditions!.First(c => c.Type == "PodGroupScheduled")).Message != first!.Message,
            "the message follows the new node");
        V1PodCondition? secondPod = null;
        await TestCluster.WaitUntilAsync(async () => (secondPod = PodScheduled(await Cluster.GetPodAsync("wide-0")))!.Message != firstPod!.Message,
            "the pod's message follows the new node too");
        Assert.Multiple(() =>
        {
            Assert.That(second!.Status, Is.EqualTo("False"));
            Assert.That(second.LastTransitionTime, Is.EqualTo(first!.LastTransitionTime), "still False: no transition");
            Assert.That(secondPod!.Message, Is.Not.EqualTo(firstPod!.Message));
            Assert.That(secondPod.LastTransitionTime, Is.EqualTo(firstPod.LastTransitionTime));
        });
    }
}
