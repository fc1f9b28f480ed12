using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>One committed change, as etcd reports it to the watch cache: new state and previous state.</summary>
/// <param name="Revision">The global revision the write created (the object's new resourceVersion).</param>
/// <param name="Type">ADDED, MODIFIED or DELETED.</param>
/// <param name="Key">"namespace/name" or "name".</param>
/// <param name="Object">State after the write; for DELETED the last state, stamped with the deletion revision.</param>
/// <param name="Previous">State before the write (null for ADDED).</param>
internal sealed record StoredEvent(long Revision, string Type, string Key, JsonObject Object, JsonObject? Previous);

/// <summary>
/// The watch cache's sliding window of one resource (staging/src/k8s.io/apiserver/pkg/storage/cacher/
/// watch_cache.go). Per resource, like the real cache, so pod churn never expires node watches. A watch
/// from resourceVersion R is served from here when R ≥ oldest−1, where oldest is the window's first
/// event once anything has been evicted, or the revision the cache was (re)initialised at plus one;
/// an older R gets "too old resource version: R (oldest−1)", 410 Expired.
/// </summary>
internal sealed class EventWindow(int capacity)
{
    private readonly Queue<StoredEvent> _events = new();
    private bool _evicted;

    /// <summary>The revision the cache was listed at (watch_cache.listResourceVersion).</summary>
    public long ListRevision { get; private set; }

    public int Count => _events.Count;

    public long Oldest => _evicted && _events.Count > 0 ? _events.Peek().Revision : ListRevision + 1;

    public bool IsTooOld(long revision) => revision < Oldest - 1;

    public void Add(StoredEvent e)
    {
        while (_events.Count >= Math.Max(1, capacity))
        {
            _events.Dequeue();
            _evicted = true;
        }
        _events.Enqueue(e);
    }

    public IEnumerable<StoredEvent> Since(long revision) => _events.Where(e => e.Revision > revision);

    /// <summary>Like a cache re-list after a restart or compaction: history before <paramref name="revision"/> is gone.</summary>
    public void Reset(long revision)
    {
        _events.Clear();
        _evicted = false;
        ListRevision = revision;
    }
}
