using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// An in-process stand-in for kube-apiserver, served by Kestrel over plain HTTP on 127.0.0.1 (a free
/// port, kept across restarts), for driving code through the real KubernetesClient. The project rule:
/// any difference from the real API server is a bug in the stand-in.
/// <para>
/// Serves core/v1 pods (with status and binding), nodes (with status), namespaces, events;
/// events.k8s.io/v1 events (same storage); coordination.k8s.io/v1 leases; scheduling.k8s.io/v1
/// priorityclasses; and the custom resources of the repository's CRDs (podgroups, topologies), with
/// get/list/watch/create/update/patch/delete/deletecollection, label and field selectors, a global
/// resourceVersion, watch history with 410 Expired, bookmarks, pagination, and metav1.Status errors.
/// </para>
/// <para>
/// Known differences: its own callers are neither authenticated nor authorized (no RBAC; TokenReview and
/// SubjectAccessReview are answered from test-configured tokens and a decision delegate); no server-side apply (415); no
/// managedFields; JSON bodies only (no protobuf/CBOR/YAML); validation of built-in kinds covers
/// metadata and the pod fields a scheduler meets, not all of pkg/apis/core/validation; zero values
/// that Go's structs would write (or omit) are not normalised beyond the common skeletons; CEL rules
/// outside the cel-spec core (Kubernetes' extension libraries) are refused with 500; no garbage
/// collector (ownerReferences and propagationPolicy have no effect); no service-account token volume.
/// </para>
/// </summary>
public sealed class KubeApiStandIn : IAsyncDisposable
{
    private readonly KubeApiStandInOptions _options;
    private readonly ObjectStore _store;
    private readonly ResourceKinds _kinds;
    private readonly ApiHandlers _handlers;
    private readonly CancellationTokenSource _lifetime = new();
    private WebApplication? _app;
    private Timer? _bookmarks;
    private int _port;

    public KubeApiStandIn(KubeApiStandInOptions? options = null)
    {
        _options = options ?? new KubeApiStandInOptions();
        _store = new ObjectStore(_options.WatchHistorySize);
        _kinds = ResourceKinds.BuiltIn();
        Faults = new FaultInjection();
        _handlers = new ApiHandlers(_store, _kinds, _options, Faults, _lifetime.Token);
        if (_options.InstallRepositoryCrds)
        {
            foreach (var file in Directory.GetFiles(Path.Combine(TestPaths.RepoRoot, "manifests", "crds"), "*.yaml").Order(StringComparer.Ordinal))
                InstallCustomResourceDefinition(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(File.ReadAllText(file)));
        }
        if (_options.Bootstrap) _handlers.Bootstrap();
    }

    /// <summary>Creates and starts a stand-in.</summary>
    public static async Task<KubeApiStandIn> StartNewAsync(KubeApiStandInOptions? options = null)
    {
        var standIn = new KubeApiStandIn(options);
        await standIn.StartAsync().ConfigureAwait(false);
        return standIn;
    }

    public Uri BaseAddress => _port == 0 ? throw new InvalidOperationException("not started") : new Uri($"http://127.0.0.1:{_port}/");

    public bool IsRunning => _app is not null;

    public FaultInjection Faults { get; }

    /// <summary>Every request received, in order (method, path, query, audit verb).</summary>
    public IReadOnlyList<ApiRequest> Requests => _handlers.Requests;

    /// <summary>The current global resourceVersion (etcd revision).</summary>
    public long ResourceVersion => _store.Revision;

    /// <summary>Request paths of the watches currently open.</summary>
    public IReadOnlyList<string> OpenWatches => _store.Watchers.Select(w => w.Path).ToList();

    public void ClearRequests() => _handlers.ClearRequests();

    /// <summary>How many requests had this audit verb (get, list, watch, create, update, patch, delete) and path.</summary>
    public int RequestCount(string verb, string path) => Requests.Count(r => r.Verb == verb && r.Path == path);

    /// <summary>A real client pointed at the stand-in.</summary>
    public IKubernetes CreateClient() => new k8s.Kubernetes(new KubernetesClientConfiguration { Host = BaseAddress.ToString() });

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_app is not null) throw new InvalidOperationException("already running");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(2));
        var port = _port;
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        app.Run(_handlers.HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _port = new Uri(address).Port;
        _handlers.HostAndPort = $"127.0.0.1:{_port}";
        _app = app;
        _bookmarks = new Timer(_ => SendBookmarks(), null, _options.BookmarkInterval, _options.BookmarkInterval);
    }

    /// <summary>Stops serving, resetting every open watch as a dying server does. Storage is kept.</summary>
    public async Task StopAsync()
    {
        var app = _app;
        _app = null;
        if (_bookmarks is not null) await _bookmarks.DisposeAsync().ConfigureAwait(false);
        _bookmarks = null;
        if (app is null) return;
        DropAllWatches();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(timeout.Token).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Stop and start on the same port. The watch cache is rebuilt, so resuming a watch from a
    /// resourceVersion older than the current one gets 410; with <paramref name="clearStorage"/> etcd
    /// itself is new (revision restarts, only the bootstrap objects exist).
    /// </summary>
    public async Task RestartAsync(bool clearStorage = false)
    {
        await StopAsync().ConfigureAwait(false);
        if (clearStorage)
        {
            _store.Clear();
            if (_options.Bootstrap) _handlers.Bootstrap();
        }
        else
        {
            _store.ResetWindows();
        }
        await StartAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _lifetime.CancelAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    /// <summary>Resets the connection of every open watch mid-stream (no clean end of the chunked body).</summary>
    public void DropAllWatches()
    {
        foreach (var w in _store.Watchers) w.Drop();
    }

    /// <summary>Ends every open watch cleanly, as the server-side timeout does.</summary>
    public void EndAllWatches()
    {
        foreach (var w in _store.Watchers) w.End();
    }

    /// <summary>Forgets all watch history: any resume from an earlier resourceVersion gets 410 Expired.</summary>
    public void CompactHistory() => _store.Compact();

    /// <summary>Sends a bookmark to every watch that allows them now, rather than at the next tick.</summary>
    public void SendBookmarks() => _store.Atomically(() =>
    {
        var revision = _store.Revision;
        foreach (var w in _store.Watchers) w.SendBookmark(revision);
    });

    /// <summary>Fail the next <paramref name="count"/> bindings with <paramref name="statusCode"/> (see <see cref="FaultInjection"/>).</summary>
    public void FailNextBinds(int count, int statusCode = 500, bool afterCommit = false) => Faults.FailNextBinds(count, statusCode, afterCommit);

    /// <summary>Serve another custom resource, as creating its CRD would.</summary>
    public void InstallCustomResourceDefinition(V1CustomResourceDefinition crd) => _kinds.AddDefinition(crd);

    /// <summary>
    /// Writes an object directly (create or replace) as if created through the API and then given its
    /// status by a controller; see <see cref="ApiHandlers.Seed"/>. Returns what was stored.
    /// </summary>
    public T Put<T>(T obj) where T : IKubernetesObject<V1ObjectMeta>
    {
        var kind = _kinds.ForType(typeof(T));
        var json = (JsonObject)JsonNode.Parse(KubernetesJson.Serialize(obj))!;
        try
        {
            var stored = _store.Atomically(() => _handlers.Seed(kind, json));
            return KubernetesJson.Deserialize<T>(JsonObjects.Serialize(stored));
        }
        catch (ApiException e)
        {
            throw new InvalidOperationException($"{e.Code} {e.Reason}: {e.Message}", e);
        }
    }

    /// <summary>The stored object, or default when absent.</summary>
    public T? Get<T>(string name, string? ns = null) where T : IKubernetesObject<V1ObjectMeta>
    {
        var kind = _kinds.ForType(typeof(T));
        var obj = _store.Atomically(() => _store.Get(kind.StorageName, ObjectStore.Key(kind.Namespaced ? ns ?? "default" : null, name)) is { } o ? kind.FromStorage(o) : null);
        return obj is null ? default : KubernetesJson.Deserialize<T>(JsonObjects.Serialize(obj));
    }

    /// <summary>All stored objects of the kind (in one namespace, or all), in key order.</summary>
    public IReadOnlyList<T> List<T>(string? ns = null) where T : IKubernetesObject<V1ObjectMeta>
    {
        var kind = _kinds.ForType(typeof(T));
        var items = _store.Atomically(() => _store.All(kind.StorageName).Select(p => p.Value)
            .Where(o => ns is null || JsonObjects.Namespace(o) == ns).Select(kind.FromStorage).ToList());
        return items.Select(o => KubernetesJson.Deserialize<T>(JsonObjects.Serialize(o))).ToList();
    }

    /// <summary>Removes an object at once (no grace period, finalizers ignored). False when it was absent.</summary>
    public bool Remove<T>(string name, string? ns = null) where T : IKubernetesObject<V1ObjectMeta> =>
        _handlers.Remove(_kinds.ForType(typeof(T)), ns, name);

    /// <summary>Polls <paramref name="condition"/> until true; throws <see cref="TimeoutException"/> after <paramref name="timeout"/> (5 s).</summary>
    public static async Task WaitForAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"condition not met in time{(because is null ? "" : ": " + because)}");
            await Task.Delay(20).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until the stored object exists and satisfies <paramref name="predicate"/>; returns it.</summary>
    public async Task<T> WaitForAsync<T>(string name, string? ns, Func<T, bool> predicate, TimeSpan? timeout = null) where T : IKubernetesObject<V1ObjectMeta>
    {
        T? found = default;
        await WaitForAsync(() => (found = Get<T>(name, ns)) is { } o && predicate(o), timeout, $"{typeof(T).Name} {ns}/{name}").ConfigureAwait(false);
        return found!;
    }
}
