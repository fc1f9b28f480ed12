using System.Diagnostics;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Quorum.Tests.ApiServer;

namespace Quorum.Tests.ApiServerTests;

/// <summary>Watches through the real client: ordering, resumption, bookmarks, 410, drops and timeouts.</summary>
public class WatchTests : StandInFixture
{
    protected override KubeApiStandInOptions Options() => new() { BookmarkInterval = TimeSpan.FromMilliseconds(200) };

    private WatchRecorder<V1Pod, V1PodList> WatchPods(string? rv, bool bookmarks = true, string? fieldSelector = null, int? timeoutSeconds = null) =>
        new(ct => Client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(
            watch: true, resourceVersion: rv, allowWatchBookmarks: bookmarks, fieldSelector: fieldSelector, timeoutSeconds: timeoutSeconds, cancellationToken: ct));

    [Test]
    public async Task A_watch_from_a_resourceVersion_sees_every_later_change_in_order()
    {
        var rv = (await Client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;
        await using var watch = WatchPods(rv);

        var created = await Client.CoreV1.CreateNamespacedPodAsync(Objects.Pod("w0"), "ml");
        var patched = await Client.CoreV1.PatchNamespacedPodAsync(new V1Patch("""{"metadata":{"labels":{"step":"2"}}}""", V1Patch.PatchType.MergePatch), "w0", "ml");
        await Client.CoreV1.DeleteNamespacedPodAsync("w0", "ml");

        var events = await watch.TakeChangesAsync(3);
        Assert.That(events.Select(e => e.Type), Is.EqualTo(new[] { WatchEventType.Added, WatchEventType.Modified, WatchEventType.Deleted }));
        Assert.That(events[0].Object.Metadata.ResourceVersion, Is.EqualTo(created.Metadata.ResourceVersion));
        Assert.That(events[1].Object.Metadata.ResourceVersion, Is.EqualTo(patched.Metadata.ResourceVersion));
        Assert.That(long.Parse(events[2].Object.Metadata.ResourceVersion), Is.GreaterThan(long.Parse(patched.Metadata.ResourceVersion)),
            "a DELETED event carries the deletion's resourceVersion");
        Assert.That(events[0].Object.Kind, Is.EqualTo("Pod"), "watch event objects carry their kind");
    }

    [Test]
    public async Task Changes_made_before_the_watch_connects_are_replayed_from_history()
    {
        var rv = (await Client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;
        Api.Put(Objects.Pod("w0"));
        Api.Put(Objects.Pod("w1"));
        await using var watch = WatchPods(rv, bookmarks: false);
        var events = await watch.TakeChangesAsync(2);
        Assert.That(events.Select(e => e.Object.Metadata.Name), Is.EqualTo(new[] { "w0", "w1" }));
    }

    [Test]
    public async Task A_watch_without_resourceVersion_starts_with_synthetic_ADDED_events_for_the_current_state()
    {
        Api.Put(Objects.Pod("w0"));
        Api.Put(Objects.Pod("w1"));
        await using var watch = WatchPods(rv: null, bookmarks: false);
        var initial = await watch.TakeChangesAsync(2);
        Assert.That(initial.Select(e => (e.Type, e.Object.Metadata.Name)), Is.EqualTo(new[] { (WatchEventType.Added, "w0"), (WatchEventType.Added, "w1") }));
        Api.Put(Objects.Pod("w2"));
        Assert.That((await watch.NextChangeAsync()).Object.Metadata.Name, Is.EqualTo("w2"));
    }

    [Test]
    public async Task Bookmarks_arrive_carrying_only_the_current_resourceVersion()
    {
        Api.Put(Objects.Pod("w0"));
        var rv = (await Client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;
        Api.Put(Objects.Node("n1"));
        await using var watch = WatchPods(rv);
        var bookmark = await watch.NextAsync();
        Assert.That(bookmark.Type, Is.EqualTo(WatchEventType.Bookmark));
        Assert.That(bookmark.Object.Metadata.Name, Is.Null);
        Assert.That(bookmark.Object.Metadata.ResourceVersion, Is.EqualTo(Api.ResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            "a bookmark advances the watcher to the store's revision, even past other kinds' writes");
    }

    [Test]
    public async Task After_CompactHistory_resuming_gets_a_410_Expired_error_event_and_the_stream_ends()
    {
        var rv = (await Client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;
        Api.Put(Objects.Pod("w0"));
        Api.CompactHistory();
        Api.Put(Objects.Pod("w1"));

        await using var watch = WatchPods(rv);
        Assert.That(await watch.EndsWithinAsync(5), Is.True, "the server closes the stream after the error");
        await watch.Completion;
        var error = watch.Errors.OfType<KubernetesException>().Single();
        Assert.That(error.Status.Code, Is.EqualTo(410));
        Assert.That(error.Status.Reason, Is.EqualTo("Expired"));
        Assert.That(error.Status.Message, Does.StartWith($"too old resource version: {rv} ("));
    }

    [Test]
    public async Task A_small_history_window_expires_only_resumes_from_before_it()
    {
        await using var api = await KubeApiStandIn.StartNewAsync(new KubeApiStandInOptions { WatchHistorySize = 2 });
        using var client = api.CreateClient();
        api.Put(Objects.Namespace("ml"));
        var old = (await client.CoreV1.ListPodForAllNamespacesAsync()).Metadata.ResourceVersion;
        foreach (var name in new[] { "a", "b", "c" }) api.Put(Objects.Pod(name));
        var recent = api.ResourceVersion - 1;

        await using var expired = new WatchRecorder<V1Pod, V1PodList>(ct => client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(watch: true, resourceVersion: old, cancellationToken: ct));
        Assert.That(await expired.EndsWithinAsync(5), Is.True);
        Assert.That(expired.Errors.OfType<KubernetesException>().Single().Status.Code, Is.EqualTo(410));

        await using var fresh = new WatchRecorder<V1Pod, V1PodList>(ct => client.CoreV1.ListPodForAllNamespacesWithHttpMessagesAsync(watch: true, resourceVersion: recent.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken: ct));
        Assert.That((await fresh.NextChangeAsync()).Object.Metadata.Name, Is.EqualTo("c"));
    }

    [Test]
    public async Task DropAllWatches_resets_open_watches_mid_stream()
    {
        Api.Put(Objects.Pod("w0"));
        await using var watch = WatchPods(rv: null, bookmarks: false);
        await watch.NextChangeAsync();
        Assert.That(Api.OpenWatches, Has.Count.EqualTo(1));

        Api.DropAllWatches();
        Assert.That(await watch.EndsWithinAsync(5), Is.True);
        Assert.That(async () => await watch.Completion, Throws.InstanceOf<IOException>(), "an aborted chunked response is an I/O error, not a clean end");
        await KubeApiStandIn.WaitForAsync(() => Api.OpenWatches.Count == 0);
    }

    [Test]
    public async Task TimeoutSeconds_ends_the_watch_cleanly()
    {
        Api.Put(Objects.Pod("w0"));
        var clock = Stopwatch.StartNew();
        await using var watch = WatchPods(rv: null, bookmarks: false, timeoutSeconds: 1);
        await watch.NextChangeAsync();
        Assert.That(await watch.EndsWithinAsync(5), Is.True);
        await watch.Completion;
        Assert.That(clock.Elapsed, Is.GreaterThan(TimeSpan.FromMilliseconds(900)));
    }

    [Test]
    public async Task A_pod_that_stops_matching_the_field_selector_is_seen_as_DELETED()
    {
        Api.Put(Objects.Pod("w0"));
        await using var watch = WatchPods(rv: null, bookmarks: false, fieldSelector: "spec.nodeName=");
        Assert.That((await watch.NextChangeAsync()).Type, Is.EqualTo(WatchEventType.Added));

        await Client.CoreV1.CreateNamespacedPodBindingAsync(Objects.Binding("w0", "n1"), "w0", "ml");
        var gone = await watch.NextChangeAsync();
        Assert.That(gone.Type, Is.EqualTo(WatchEventType.Deleted));
        Assert.That(gone.Object.Spec.NodeName, Is.Null, "the DELETED event carries the last state that matched");
        Assert.That(gone.Object.Metadata.ResourceVersion, Is.EqualTo(Api.Get<V1Pod>("w0", "ml")!.Metadata.ResourceVersion));
    }

    [Test]
    public async Task On_the_wire_a_watch_is_a_chunked_stream_of_type_and_object_lines()
    {
        Api.Put(Objects.Pod("w0"));
        using var http = new HttpClient { BaseAddress = Api.BaseAddress };
        using var response = await http.GetAsync("api/v1/namespaces/ml/pods?watch=1&timeoutSeconds=1", HttpCompletionOption.ResponseHeadersRead);
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        Assert.That(response.Headers.TransferEncodingChunked, Is.True);
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/json"));
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        using var line = System.Text.Json.JsonDocument.Parse(lines.Single());
        Assert.That(line.RootElement.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "type", "object" }));
        Assert.That(line.RootElement.GetProperty("type").GetString(), Is.EqualTo("ADDED"));
    }

    [Test]
    public async Task Watch_errors_before_any_event_reach_the_client_as_the_http_call_failing()
    {
        // A failure before the stream starts is a plain HTTP error, which the client throws from the call.
        Api.Faults.FailNext(r => r.Verb == "watch", 1, 503, "apiserver is shutting down");
        await using var watch = WatchPods(rv: null);
        Assert.That(await watch.EndsWithinAsync(5), Is.True);
        var error = Assert.ThrowsAsync<HttpOperationException>(async () => await watch.Completion);
        Assert.That((int)error!.Response.StatusCode, Is.EqualTo(503));
    }
}
