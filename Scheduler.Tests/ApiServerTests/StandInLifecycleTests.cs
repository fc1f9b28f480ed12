using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Quorum.Kubernetes;
using Quorum.Tests.ApiServer;

namespace Quorum.Tests.ApiServerTests;

/// <summary>The stand-in's own controls: restart, request log, injected faults, seeding, events.</summary>
public class StandInLifecycleTests : StandInFixture
{
    [Test]
    public async Task A_restart_keeps_the_port_and_the_objects_but_not_the_watch_history()
    {
        var before = Api.BaseAddress;
        var rv = (await Client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;
        Api.Put(Objects.Pod("w0"));
        await using var watch = new WatchRecorder<V1Pod, V1PodList>(ct => Client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(watch: true, resourceVersion: rv, cancellationToken: ct));
        await watch.NextChangeAsync();

        await Api.RestartAsync();
        Assert.That(await watch.EndsWithinAsync(5), Is.True, "a restart drops open watches");
        Assert.That(Api.BaseAddress, Is.EqualTo(before));
        Assert.That((await Client.CoreV1.ReadNamespacedPodAsync("w0", "ml")).Metadata.Name, Is.EqualTo("w0"));

        await using var resumed = new WatchRecorder<V1Pod, V1PodList>(ct => Client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(watch: true, resourceVersion: rv, cancellationToken: ct));
        Assert.That(await resumed.EndsWithinAsync(5), Is.True);
        Assert.That(resumed.Errors.OfType<KubernetesException>().Single().Status.Code, Is.EqualTo(410), "the rebuilt watch cache starts at the current revision");

        await Api.RestartAsync(clearStorage: true);
        Assert.That(Api.List<V1Pod>(), Is.Empty);
        Assert.That(Api.List<V1Namespace>().Select(n => n.Metadata.Name), Is.EquivalentTo(new[] { "default", "kube-node-lease", "kube-public", "kube-system" }));
    }

    [Test]
    public async Task Requests_are_recorded_with_their_verb()
    {
        Api.ClearRequests();
        await Client.CoreV1.ListNodeAsync();
        await Client.CoreV1.CreateNodeAsync(Objects.Node("n1"));
        await Client.CoreV1.PatchNodeAsync(new V1Patch("""{"metadata":{"labels":{"a":"b"}}}""", V1Patch.PatchType.MergePatch), "n1");
        await Client.CoreV1.ReadNodeAsync("n1");
        await Client.CoreV1.DeleteNodeAsync("n1");
        Assert.That(Api.Requests.Select(r => (r.Method, r.Path, r.Verb)), Is.EqualTo(new[]
        {
            ("GET", "/api/v1/nodes", "list"),
            ("POST", "/api/v1/nodes", "create"),
            ("PATCH", "/api/v1/nodes/n1", "patch"),
            ("GET", "/api/v1/nodes/n1", "get"),
            ("DELETE", "/api/v1/nodes/n1", "delete"),
        }));
    }

    [Test]
    public async Task Injected_request_faults_answer_with_the_real_status_for_their_code()
    {
        Api.Faults.FailNext(r => r.Verb == "list" && r.Path == "/api/v1/nodes", 1, 429);
        var throttled = await ApiAssert.FailsAsync(() => Client.CoreV1.ListNodeAsync());
        Assert.That(throttled.Reason, Is.EqualTo("TooManyRequests"));
        Assert.That((await Client.CoreV1.ListNodeAsync()).Items, Is.Empty, "only the next matching request fails");
    }

    [Test]
    public async Task Events_written_through_events_k8s_io_are_read_back_through_core_v1()
    {
        var ev = new Eventsv1Event
        {
            Metadata = new V1ObjectMeta { Name = "w0.1", NamespaceProperty = "ml" },
            EventTime = DateTime.UtcNow,
            ReportingController = "quorum",
            ReportingInstance = "quorum-0",
            Action = "Binding",
            Reason = "Scheduled",
            Type = "Normal",
            Note = "bound to n1",
            Regarding = new V1ObjectReference { Kind = "Pod", NamespaceProperty = "ml", Name = "w0" },
        };
        await Client.EventsV1.CreateNamespacedEventAsync(ev, "ml");
        var core = (await Client.CoreV1.ListNamespacedEventAsync("ml", fieldSelector: "involvedObject.name=w0")).Items.Single();
        Assert.That((core.Message, core.ReportingComponent, core.InvolvedObject.Kind), Is.EqualTo(("bound to n1", "quorum", "Pod")));

        var incomplete = new Eventsv1Event { Metadata = new V1ObjectMeta { Name = "w0.2", NamespaceProperty = "ml" }, Reason = "Scheduled", Regarding = ev.Regarding };
        var refused = await ApiAssert.FailsAsync(() => Client.EventsV1.CreateNamespacedEventAsync(incomplete, "ml"));
        Assert.That(refused.Code, Is.EqualTo(422));
        Assert.That(refused.Message, Does.Contain("eventTime: Required value"));
    }

    [Test]
    public async Task Seeded_objects_can_be_read_and_waited_for()
    {
        Assert.That(Api.Get<V1Namespace>("ml")!.Status.Phase, Is.EqualTo("Active"));
        var node = Api.Put(Objects.Node("n1"));
        Assert.That(node.Metadata.ResourceVersion, Is.EqualTo(Api.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var pod = Objects.Pod("w0");
        pod.Status = new V1PodStatus { Phase = "Running" };
        Assert.That(Api.Put(pod).Status.Phase, Is.EqualTo("Running"), "seeding keeps the status given, as a controller would have written it");

        var bound = Api.WaitForAsync<V1Pod>("w0", "ml", p => p.Spec.NodeName == "n1");
        await Client.CoreV1.CreateNamespacedPodBindingAsync(Objects.Binding("w0", "n1"), "w0", "ml");
        Assert.That((await bound).Spec.NodeName, Is.EqualTo("n1"));
        Assert.That(Api.Remove<V1Pod>("w0", "ml"), Is.True);
        Assert.That(Api.Get<V1Pod>("w0", "ml"), Is.Null);
    }

    [Test]
    public async Task The_schedulers_watcher_relists_after_a_410_and_reports_what_vanished()
    {
        Api.Put(Objects.Pod("a"));
        Api.Put(Objects.Pod("b"));
        var events = Channel.CreateUnbounded<ClusterEvent>();
        var watcher = new ResourceWatcher<V1Pod, V1PodList>("Pod", (rv, watch, ct) =>
            Client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(allowWatchBookmarks: watch ? true : null, resourceVersion: rv, watch: watch, cancellationToken: ct),
            events.Writer, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var running = watcher.RunAsync(stop.Token);
        await KubeApiStandIn.WaitForAsync(() => Api.OpenWatches.Count == 1);

        // While the watch is down and history is gone, "b" is deleted: only a relist can tell.
        Api.Remove<V1Pod>("b", "ml");
        Api.CompactHistory();
        Api.DropAllWatches();
        await KubeApiStandIn.WaitForAsync(() => watcher.Relists == 2, TimeSpan.FromSeconds(10), "relist after 410");
        await stop.CancelAsync();
        await running;

        var seen = new List<ClusterEvent>();
        while (events.Reader.TryRead(out var e)) seen.Add(e);
        Assert.That(seen.Where(e => e.Deleted).Select(e => ((V1Pod)e.Object!).Metadata.Name), Is.EqualTo(new[] { "b" }));
    }
}
