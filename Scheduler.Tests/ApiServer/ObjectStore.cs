using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// etcd plus the watch cache: every object of every resource as JSON, keyed like etcd
/// (/registry/{resource}/{namespace}/{name}, iterated in key order), one global revision that every
/// create, update and delete advances (an object's resourceVersion is the revision of its last write,
/// a list's the current revision), a per-resource <see cref="EventWindow"/>, and fan-out of each commit
/// to the open watches. All reads and writes happen inside <see cref="Atomically{T}"/>, so a
/// read-modify-write is one transaction and watchers see commits in revision order.
/// </summary>
internal sealed class ObjectStore(int windowCapacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EventWindow> _windows = new(StringComparer.Ordinal);
    private readonly List<WatchStream> _watchers = [];
    private TaskCompletionSource _committed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _revision;

    // The revision the watch cache was last (re)initialised at: windows created later start there too,
    // as the real cache initialises every resource when the server starts.
    private long _windowBase;

    /// <summary>Window capacity for resources first touched from now on (existing windows keep theirs).</summary>
    public int WindowCapacity { get; set; } = windowCapacity;

    public long Revision
    {
        get { lock (_gate) return _revision; }
    }

    public T Atomically<T>(Func<T> work)
    {
        lock (_gate) return work();
    }

    public void Atomically(Action work)
    {
        lock (_gate) work();
    }

    public static string Key(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : $"{ns}/{name}";

    /// <summary>The stored object (callers clone before changing it).</summary>
    public JsonObject? Get(string resource, string key) => Bucket(resource).GetValueOrDefault(key);

    public IEnumerable<KeyValuePair<string, JsonObject>> All(string resource) => Bucket(resource);

    public EventWindow Window(string resource)
    {
        if (!_windows.TryGetValue(resource, out var w))
        {
            w = new EventWindow(WindowCapacity);
            w.Reset(_windowBase);
            _windows[resource] = w;
        }
        return w;
    }

    public JsonObject Create(string resource, string key, JsonObject obj) => Commit(resource, key, obj, "ADDED");

    public JsonObject Update(string resource, string key, JsonObject obj) => Commit(resource, key, obj, "MODIFIED");

    /// <summary>Removes the object; returns it as it was stored (its last resourceVersion, as etcd3's delete decodes it).</summary>
    public JsonObject Delete(string resource, string key)
    {
        var bucket = Bucket(resource);
        var previous = bucket[key];
        bucket.Remove(key);
        var revision = ++_revision;
        // The DELETED event carries the last state stamped with the deletion's revision (watch cache behaviour).
        var tombstone = previous.DeepClone().AsObject();
        JsonObjects.Metadata(tombstone)["resourceVersion"] = JsonObjects.Rv(revision);
        Publish(resource, new StoredEvent(revision, "DELETED", key, tombstone, previous));
        return previous.DeepClone().AsObject();
    }

    private JsonObject Commit(string resource, string key, JsonObject obj, string type)
    {
        var bucket = Bucket(resource);
        var previous = bucket.GetValueOrDefault(key);
        var revision = ++_revision;
        var stored = obj.DeepClone().AsObject();
        JsonObjects.Metadata(stored)["resourceVersion"] = JsonObjects.Rv(revision);
        bucket[key] = stored;
        Publish(resource, new StoredEvent(revision, type, key, stored, previous));
        return stored.DeepClone().AsObject();
    }

    private void Publish(string resource, StoredEvent e)
    {
        Window(resource).Add(e);
        foreach (var w in _watchers)
        {
            if (w.Resource == resource) w.Offer(e);
        }
        var done = _committed;
        _committed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.TrySetResult();
    }

    /// <summary>
    /// The resource as it was at <paramref name="revision"/> (resourceVersionMatch=Exact, continue tokens):
    /// current state with the window's later events undone. Null when the window no longer reaches back.
    /// </summary>
    public SortedDictionary<string, JsonObject>? Snapshot(string resource, long revision)
    {
        var window = Window(resource);
        if (window.IsTooOld(revision)) return null;
        var state = new SortedDictionary<string, JsonObject>(Bucket(resource), StringComparer.Ordinal);
        foreach (var e in window.Since(revision).Reverse())
        {
            if (e.Type == "ADDED") state.Remove(e.Key);
            else state[e.Key] = e.Previous!;
        }
        return state;
    }

    public void Register(WatchStream watch) => _watchers.Add(watch);

    public void Unregister(WatchStream watch)
    {
        lock (_gate) _watchers.Remove(watch);
    }

    public IReadOnlyList<WatchStream> Watchers
    {
        get { lock (_gate) return _watchers.ToList(); }
    }

    /// <summary>
    /// Forget all history: every window restarts at the current revision. The revision is first advanced
    /// once, as the writes that never stop in a real cluster (leases, events) would have advanced it, so
    /// that every resume from a previously seen resourceVersion is answered 410.
    /// </summary>
    public void Compact()
    {
        lock (_gate)
        {
            _revision++;
            _windowBase = _revision;
            foreach (var w in _windows.Values) w.Reset(_revision);
        }
    }

    /// <summary>An API server restart: the watch cache re-lists, so history before now is unreachable.</summary>
    public void ResetWindows()
    {
        lock (_gate)
        {
            _windowBase = _revision;
            foreach (var w in _windows.Values) w.Reset(_revision);
        }
    }

    /// <summary>A fresh etcd: no objects, revision back to zero.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _objects.Clear();
            _windows.Clear();
            _revision = 0;
            _windowBase = 0;
        }
    }

    /// <summary>Waits until the revision reaches <paramref name="revision"/> (the cacher's waitUntilFreshAndBlock).</summary>
    public async Task<bool> WaitForRevisionAsync(long revision, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (_revision >= revision) return true;
                next = _committed.Task;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return false;
            await Task.WhenAny(next, Task.Delay(left, ct)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
    }

    private SortedDictionary<string, JsonObject> Bucket(string resource)
    {
        if (!_objects.TryGetValue(resource, out var bucket))
        {
            bucket = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            _objects[resource] = bucket;
        }
        return bucket;
    }
}
