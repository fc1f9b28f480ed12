using System.Text.Json;
using k8s;
using k8s.Models;

namespace Quorum.Tests.ApiServerTests;

/// <summary>Create, read, list and delete through the real client, with the answers the real server gives.</summary>
public class CrudTests : StandInFixture
{
    [Test]
    public async Task Nodes_are_created_read_listed_and_deleted()
    {
        var created = await Client.CoreV1.CreateNodeAsync(Objects.Node("n1"));
        Assert.That(created.Metadata.Uid, Is.Not.Empty);
        Assert.That(created.Metadata.CreationTimestamp, Is.Not.Null);
        Assert.That(long.Parse(created.Metadata.ResourceVersion), Is.GreaterThan(0));
        Assert.That(created.Status.Allocatable["nvidia.com/gpu"].ToString(), Is.EqualTo("8"), "a node keeps the status it registers with");

        var read = await Client.CoreV1.ReadNodeAsync("n1");
        Assert.That(read.Metadata.ResourceVersion, Is.EqualTo(created.Metadata.ResourceVersion));

        var list = await Client.CoreV1.ListNodeAsync();
        Assert.That(list.Items.Select(n => n.Metadata.Name), Is.EqualTo(new[] { "n1" }));
        Assert.That(long.Parse(list.Metadata.ResourceVersion), Is.GreaterThanOrEqualTo(long.Parse(created.Metadata.ResourceVersion)));

        // Nodes answer a delete with a Status (no ReturnDeletedObject), naming the resource.
        var deleted = await Client.CoreV1.DeleteNodeAsync("n1");
        Assert.That(deleted.Status, Is.EqualTo("Success"));
        Assert.That(deleted.Details.Name, Is.EqualTo("n1"));
        Assert.That(deleted.Details.Kind, Is.EqualTo("nodes"));
        Assert.That(deleted.Details.Uid, Is.EqualTo(created.Metadata.Uid));

        var missing = await ApiAssert.FailsAsync(() => Client.CoreV1.ReadNodeAsync("n1"));
        Assert.That(missing.Code, Is.EqualTo(404));
        Assert.That(missing.Reason, Is.EqualTo("NotFound"));
        Assert.That(missing.Message, Is.EqualTo("nodes \"n1\" not found"));
    }

    [Test]
    public async Task A_created_pod_gets_the_defaults_admission_and_status_of_the_real_server()
    {
        var pod = Objects.Pod("w0");
        pod.Status = new V1PodStatus { Phase = "Running" };
        var created = await Client.CoreV1.CreateNamespacedPodAsync(pod, "ml");

        Assert.That(created.Status.Phase, Is.EqualTo("Pending"), "status sent on create is replaced");
        Assert.That(created.Status.QosClass, Is.EqualTo("BestEffort"), "only cpu and memory count for QoS");
        Assert.That(created.Metadata.Generation, Is.EqualTo(1));
        Assert.That(created.Spec.SchedulerName, Is.EqualTo("quorum"));
        Assert.That(created.Spec.Priority, Is.EqualTo(0));
        Assert.That(created.Spec.PreemptionPolicy, Is.EqualTo("PreemptLowerPriority"));
        Assert.That(created.Spec.RestartPolicy, Is.EqualTo("Always"));
        Assert.That(created.Spec.TerminationGracePeriodSeconds, Is.EqualTo(30));
        Assert.That(created.Spec.ServiceAccountName, Is.EqualTo("default"));
        Assert.That(created.Spec.Tolerations.Select(t => (t.Key, t.TolerationSeconds)),
            Is.EquivalentTo(new[] { ("node.kubernetes.io/not-ready", (long?)300), ("node.kubernetes.io/unreachable", (long?)300) }));
        Assert.That(created.Spec.Containers[0].ImagePullPolicy, Is.EqualTo("IfNotPresent"));

        var unnamedScheduler = Objects.Pod("w1", scheduler: null!);
        unnamedScheduler.Spec.SchedulerName = null;
        Assert.That((await Client.CoreV1.CreateNamespacedPodAsync(unnamedScheduler, "ml")).Spec.SchedulerName, Is.EqualTo("default-scheduler"));
    }

    [Test]
    public async Task Limits_without_requests_default_the_requests_and_decide_the_QoS_class()
    {
        var pod = Objects.Pod("w0");
        pod.Spec.Containers[0].Resources = new V1ResourceRequirements
        {
            Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("2000m"), ["memory"] = new("1Gi") },
        };
        var created = await Client.CoreV1.CreateNamespacedPodAsync(pod, "ml");
        Assert.That(created.Spec.Containers[0].Resources.Requests["cpu"].ToString(), Is.EqualTo("2"));
        Assert.That(created.Status.QosClass, Is.EqualTo("Guaranteed"));
    }

    [Test]
    public async Task A_priority_class_name_is_resolved_by_admission_and_an_unknown_one_is_forbidden()
    {
        Api.Put(new V1PriorityClass { Metadata = new V1ObjectMeta { Name = "training" }, Value = 1000 });
        var pod = Objects.Pod("w0");
        pod.Spec.PriorityClassName = "training";
        Assert.That((await Client.CoreV1.CreateNamespacedPodAsync(pod, "ml")).Spec.Priority, Is.EqualTo(1000));

        var unknown = Objects.Pod("w1");
        unknown.Spec.PriorityClassName = "nope";
        var status = await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodAsync(unknown, "ml"));
        Assert.That(status.Code, Is.EqualTo(403));
        Assert.That(status.Message, Is.EqualTo("pods \"w1\" is forbidden: no PriorityClass with name nope was found"));
    }

    [Test]
    public async Task Creating_an_existing_object_is_409_AlreadyExists()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(Objects.Pod("w0"), "ml");
        var status = await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Objects.Pod("w0"), "ml"));
        Assert.That(status.Code, Is.EqualTo(409));
        Assert.That(status.Reason, Is.EqualTo("AlreadyExists"));
        Assert.That(status.Message, Is.EqualTo("pods \"w0\" already exists"));
        Assert.That(status.Details.Kind, Is.EqualTo("pods"));
    }

    [Test]
    public async Task Creating_in_a_missing_namespace_is_404_and_an_invalid_pod_is_422()
    {
        var missing = await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodAsync(Objects.Pod("w0", ns: "nowhere"), "nowhere"));
        Assert.That(missing.Code, Is.EqualTo(404));
        Assert.That(missing.Message, Is.EqualTo("namespaces \"nowhere\" not found"));

        var noImage = Objects.Pod("w0");
        noImage.Spec.Containers[0].Image = null;
        var invalid = await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodAsync(noImage, "ml"));
        Assert.That(invalid.Code, Is.EqualTo(422));
        Assert.That(invalid.Reason, Is.EqualTo("Invalid"));
        Assert.That(invalid.Message, Is.EqualTo("Pod \"w0\" is invalid: spec.containers[0].image: Required value"));
        Assert.That(invalid.Details.Causes.Single().Field, Is.EqualTo("spec.containers[0].image"));

        var withVersion = Objects.Pod("w1");
        withVersion.Metadata.ResourceVersion = "7";
        var bad = await ApiAssert.FailsAsync(() => Client.CoreV1.CreateNamespacedPodAsync(withVersion, "ml"));
        Assert.That(bad.Code, Is.EqualTo(400));
        Assert.That(bad.Message, Is.EqualTo("resourceVersion should not be set on objects to be created"));
    }

    [Test]
    public async Task Every_write_advances_one_resourceVersion_shared_by_all_kinds()
    {
        var start = long.Parse((await Client.CoreV1.ListNodeAsync()).Metadata.ResourceVersion);
        var node = await Client.CoreV1.CreateNodeAsync(Objects.Node("n1"));
        var pod = await Client.CoreV1.CreateNamespacedPodAsync(Objects.Pod("w0"), "ml");
        var nodeRv = long.Parse(node.Metadata.ResourceVersion);
        var podRv = long.Parse(pod.Metadata.ResourceVersion);
        Assert.That(nodeRv, Is.GreaterThan(start));
        Assert.That(podRv, Is.GreaterThan(nodeRv), "one counter across kinds, like the etcd revision");

        var afterPods = long.Parse((await Client.CoreV1.ListNodeAsync()).Metadata.ResourceVersion);
        Assert.That(afterPods, Is.GreaterThanOrEqualTo(podRv), "a list's resourceVersion is the store's, not the newest item's");

        node.Metadata.Labels["rack"] = "r1";
        var updated = await Client.CoreV1.ReplaceNodeAsync(node, "n1");
        Assert.That(long.Parse(updated.Metadata.ResourceVersion), Is.GreaterThan(podRv));

        // An update that changes nothing is not written: same resourceVersion.
        var again = await Client.CoreV1.ReplaceNodeAsync(updated, "n1");
        Assert.That(again.Metadata.ResourceVersion, Is.EqualTo(updated.Metadata.ResourceVersion));

        await Client.CoreV1.DeleteNamespacedPodAsync("w0", "ml");
        Assert.That(long.Parse((await Client.CoreV1.ListNodeAsync()).Metadata.ResourceVersion), Is.GreaterThan(long.Parse(updated.Metadata.ResourceVersion)));
    }

    [Test]
    public async Task Label_and_field_selectors_filter_lists()
    {
        Api.Put(Objects.Pod("a", labels: new() { ["app"] = "train", ["tier"] = "x" }));
        Api.Put(Objects.Pod("b", node: "n1", labels: new() { ["app"] = "train", ["tier"] = "y" }));
        Api.Put(Objects.Pod("c", scheduler: "default-scheduler", labels: new() { ["app"] = "serve" }));

        async Task<string[]> Names(string? labels = null, string? fields = null) =>
            (await Client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: labels, fieldSelector: fields)).Items.Select(p => p.Metadata.Name).ToArray();

        Assert.That(await Names(fields: "spec.nodeName="), Is.EqualTo(new[] { "a", "c" }));
        Assert.That(await Names(fields: "spec.nodeName!="), Is.EqualTo(new[] { "b" }));
        Assert.That(await Names(fields: "spec.schedulerName=quorum,spec.nodeName="), Is.EqualTo(new[] { "a" }));
        Assert.That(await Names(fields: "metadata.name!=a"), Is.EqualTo(new[] { "b", "c" }));
        Assert.That(await Names(labels: "app=train,tier in (y,z)"), Is.EqualTo(new[] { "b" }));
        Assert.That(await Names(labels: "tier!=x"), Is.EqualTo(new[] { "b", "c" }), "!= also matches objects without the label");
        Assert.That(await Names(labels: "!tier"), Is.EqualTo(new[] { "c" }));

        var unsupported = await ApiAssert.FailsAsync(() => Client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: "spec.priority=1"));
        Assert.That(unsupported.Code, Is.EqualTo(400));
        Assert.That(unsupported.Message, Is.EqualTo("field label not supported: spec.priority"));
    }

    [Test]
    public async Task Deleting_a_collection_removes_only_what_the_selector_matches()
    {
        Api.Put(Objects.Pod("a", labels: new() { ["job"] = "x" }));
        Api.Put(Objects.Pod("b", labels: new() { ["job"] = "x" }));
        Api.Put(Objects.Pod("c", labels: new() { ["job"] = "y" }));
        var deleted = await Client.CoreV1.DeleteCollectionNamespacedPodAsync("ml", labelSelector: "job=x");
        Assert.That(deleted, Is.Not.Null);
        Assert.That(Api.List<V1Pod>("ml").Select(p => p.Metadata.Name), Is.EqualTo(new[] { "c" }));
    }

    [Test]
    public async Task Limit_and_continue_page_through_one_snapshot()
    {
        foreach (var name in new[] { "a", "b", "c" }) Api.Put(Objects.Node(name));
        var first = await Client.CoreV1.ListNodeAsync(limit: 2);
        Assert.That(first.Items.Select(n => n.Metadata.Name), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(first.Metadata.RemainingItemCount, Is.EqualTo(1));
        Assert.That(first.Metadata.ContinueProperty, Is.Not.Empty);

        Api.Put(Objects.Node("d"));
        var rest = await Client.CoreV1.ListNodeAsync(continueParameter: first.Metadata.ContinueProperty, limit: 2);
        Assert.That(rest.Items.Select(n => n.Metadata.Name), Is.EqualTo(new[] { "c" }), "the continuation reads the first page's snapshot");
        Assert.That(rest.Metadata.ResourceVersion, Is.EqualTo(first.Metadata.ResourceVersion));
        Assert.That(rest.Metadata.ContinueProperty, Is.Null);
    }

    [Test]
    public async Task Built_in_list_items_carry_no_kind_but_get_and_custom_resources_do()
    {
        Api.Put(Objects.Node("n1"));
        using var http = new HttpClient { BaseAddress = Api.BaseAddress };
        using var list = JsonDocument.Parse(await http.GetStringAsync("api/v1/nodes"));
        Assert.That(list.RootElement.GetProperty("kind").GetString(), Is.EqualTo("NodeList"));
        Assert.That(list.RootElement.GetProperty("items")[0].TryGetProperty("kind", out _), Is.False);
        using var get = JsonDocument.Parse(await http.GetStringAsync("api/v1/nodes/n1"));
        Assert.That(get.RootElement.GetProperty("kind").GetString(), Is.EqualTo("Node"));
    }

    [Test]
    public async Task Deleting_a_bound_pod_marks_it_terminating_before_it_goes()
    {
        var watch = await Client.CoreV1.ListNamespacedPodAsync("ml");
        Api.Put(Objects.Pod("w0", node: "n1"));
        await using var recorder = new WatchRecorder<V1Pod, V1PodList>(ct =>
            Client.CoreV1.ListNamespacedPodWithHttpMessagesAsync("ml", watch: true, resourceVersion: watch.Metadata.ResourceVersion, cancellationToken: ct));

        var answer = await Client.CoreV1.DeleteNamespacedPodAsync("w0", "ml");
        Assert.That(answer.Metadata.DeletionTimestamp, Is.Not.Null, "a bound pod with a grace period is only marked");
        Assert.That(answer.Metadata.DeletionGracePeriodSeconds, Is.EqualTo(30));

        var events = await recorder.TakeChangesAsync(3);
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted }));
        Assert.That(events[1].Object.Metadata.DeletionTimestamp, Is.Not.Null);
        Assert.That(events[1].Object.Metadata.Generation, Is.EqualTo(2), "marking for deletion bumps generation");
        await KubeApiStandInWait(() => Api.Get<V1Pod>("w0", "ml") is null);
    }

    [Test]
    public async Task A_namespace_is_terminating_then_removed_with_its_content()
    {
        Api.Put(Objects.Pod("w0"));
        var ns = await Client.CoreV1.DeleteNamespaceAsync("ml");
        Assert.That(ns.HasObject, Is.True, "a namespace delete answers with the namespace");
        Assert.That(ns.ObjectView<V1Namespace>().Status.Phase, Is.EqualTo("Terminating"));
        await KubeApiStandInWait(() => Api.Get<V1Namespace>("ml") is null);
        Assert.That(Api.List<V1Pod>("ml"), Is.Empty);

        var immortal = await ApiAssert.FailsAsync(() => Client.CoreV1.DeleteNamespaceAsync("default"));
        Assert.That(immortal.Code, Is.EqualTo(403));
    }

    private static Task KubeApiStandInWait(Func<bool> condition) => ApiServer.KubeApiStandIn.WaitForAsync(condition);
}
