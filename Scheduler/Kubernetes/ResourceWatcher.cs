using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Quorum.Kubernetes;

/// <summary>One change from a watch, or the marker that a kind's initial list is in.</summary>
public sealed record ClusterEvent(string Kind, object? Object, bool Deleted, bool Synced = false);

/// <summary>A running list-and-watch of one kind.</summary>
public interface IResourceWatcher
{
    string Kind { get; }

    /// <summary>Last resourceVersion seen; null before the first list or after a 410.</summary>
    string? ResourceVersion { get; }

    /// <summary>How many times the kind was listed (1 = only the initial list).</summary>
    int Relists { get; }

    Task RunAsync(CancellationToken cancellationToken);
}

/// <summary>
/// List-then-watch of one kind, as client-go's reflector does: the list's resourceVersion starts the
/// watch; every event and bookmark advances it, so a dropped or timed-out watch resumes where it
/// stopped; <c>410 Gone</c> (history compacted) relists and reports objects that vanished meanwhile as
/// deleted, so nothing is lost or counted twice; errors reconnect with capped exponential backoff.
/// </summary>
public sealed partial class ResourceWatcher<T, TList>(
    string kind,
    Func<string?, bool, CancellationToken, Task<HttpOperationResponse<TList>>> list,
    ChannelWriter<ClusterEvent> output,
    ILogger log) : IResourceWatcher
    where T : IKubernetesObject<V1ObjectMeta>, new()
    where TList : IItems<T>, IMetadata<V1ListMeta>
{
    /// <summary>
    /// What a relist must compare against: the identity of every object seen, not the object (a
    /// 100k-node cluster's Node objects, image lists and all, would double the process's memory).
    /// </summary>
    private readonly Dictionary<string, V1ObjectMeta> _known = new(StringComparer.Ordinal);

    public string Kind => kind;

    public string? ResourceVersion { get; private set; }

    public int Relists { get; private set; }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        async Task BackOffAsync()
        {
            await Task.Delay(backoff, cancellationToken).ConfigureAwait(false);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (ResourceVersion is null) await RelistAsync(cancellationToken).ConfigureAwait(false);
                var gone = false;
                var failed = false;
                var response = list(ResourceVersion, true, cancellationToken);
                // The response-based WatchAsync is marked obsolete in favour of per-kind generated
                // methods, but it is the one that works for every kind (custom resources included)
                // from the same list delegate, with resourceVersion and bookmarks.
#pragma warning disable CS0618
                await foreach (var (type, obj) in response.WatchAsync<T, TList>(e =>
                {
                    if (e is KubernetesException { Status.Code: 410 }) gone = true;
                    else
                    {
                        failed = true;
                        Log.WatchError(log, kind, e.Message);
                    }
                }, cancellationToken).ConfigureAwait(false))
#pragma warning restore CS0618
                {
                    backoff = TimeSpan.FromMilliseconds(200);
                    if (obj?.Metadata is null) continue;
                    if (type != WatchEventType.Error) ResourceVersion = obj.Metadata.ResourceVersion ?? ResourceVersion;
                    switch (type)
                    {
                        case WatchEventType.Added or WatchEventType.Modified:
                            _known[Key(obj)] = Identity(obj);
                            await output.WriteAsync(new ClusterEvent(kind, obj, false), cancellationToken).ConfigureAwait(false);
                            break;
                        case WatchEventType.Deleted:
                            _known.Remove(Key(obj));
                            await output.WriteAsync(new ClusterEvent(kind, obj, true), cancellationToken).ConfigureAwait(false);
                            break;
                    }
                }
                if (gone)
                {
                    Log.Gone(log, kind, ResourceVersion ?? "");
                    ResourceVersion = null;
                }
                else if (failed)
                {
                    // A watch that ended on an error event (a 500 from etcd, say) waits before it
                    // asks again, as a failed connection does, rather than hammering the server.
                    await BackOffAsync().ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Gone)
            {
                Log.Gone(log, kind, ResourceVersion ?? "");
                ResourceVersion = null;
            }
            // Whatever else goes wrong, this kind's watch must come back: a watcher that gave up
            // would leave the scheduler deciding on a cache that no longer follows the cluster.
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                Log.Reconnecting(log, kind, backoff.TotalMilliseconds, e.Message);
                await BackOffAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task RelistAsync(CancellationToken ct)
    {
        var response = await list(null, false, ct).ConfigureAwait(false);
        var items = response.Body.Items ?? [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var key = Key(item);
            seen.Add(key);
            _known[key] = Identity(item);
            await output.WriteAsync(new ClusterEvent(kind, item, false), ct).ConfigureAwait(false);
        }
        // Objects deleted while the watch was down: their DELETED events are gone with the history.
        foreach (var key in _known.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            var vanished = new T { Metadata = _known[key] };
            _known.Remove(key);
            await output.WriteAsync(new ClusterEvent(kind, vanished, true), ct).ConfigureAwait(false);
        }
        ResourceVersion = response.Body.Metadata?.ResourceVersion;
        if (Relists++ == 0) await output.WriteAsync(new ClusterEvent(kind, null, false, Synced: true), ct).ConfigureAwait(false);
    }

    private static V1ObjectMeta Identity(T obj) => new()
    {
        Name = obj.Metadata.Name, NamespaceProperty = obj.Metadata.NamespaceProperty, Uid = obj.Metadata.Uid, ResourceVersion = obj.Metadata.ResourceVersion,
    };

    private static string Key(T obj) => $"{obj.Metadata.NamespaceProperty}/{obj.Metadata.Name}";

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "{Kind} watch: resourceVersion {ResourceVersion} is too old (410 Gone); relisting")]
        public static partial void Gone(ILogger logger, string kind, string resourceVersion);

        [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "{Kind} watch failed; reconnecting in {DelayMs} ms: {Error}")]
        public static partial void Reconnecting(ILogger logger, string kind, double delayMs, string error);

        [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "{Kind} watch error: {Error}")]
        public static partial void WatchError(ILogger logger, string kind, string error);
    }
}
