using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Plugins;

namespace Quorum.Core.Queue;

/// <summary>Where a queued group waits: kube-scheduler's three lanes.</summary>
public enum QueueLane
{
    /// <summary>Ready for the next cycle.</summary>
    Active,

    /// <summary>Failed recently; ready once its backoff expires.</summary>
    Backoff,

    /// <summary>Did not fit; parked until a cluster event could help, or <see cref="QueueOptions.MaxInUnschedulable"/>.</summary>
    Unschedulable,
}

/// <summary>
/// The groups waiting to be scheduled, in kube-scheduler's three lanes (activeQ, backoffQ,
/// unschedulable). A group that did not fit is parked until an event that frees or adds capacity
/// (node added or changed, pod deleted), so a full cluster is not re-searched every cycle; its
/// backoff doubles per attempt. The gang holding the starvation reservation is tried in every
/// cycle, since the reservation exists only in cycles that include it.
/// </summary>
/// <remarks>Not thread-safe: the host serialises events and cycles on one loop.</remarks>
public sealed class SchedulingQueue(TimeProvider time, QueueOptions? options = null, IGangOrder? order = null)
{
    private readonly IGangOrder _order = order ?? PrioritySort.Instance;

    private sealed class Entry(GangRequest request)
    {
        public GangRequest Request { get; set; } = request;
        public QueueLane Lane { get; set; }
        public int Attempts { get; set; }
        public DateTimeOffset BackoffUntil { get; set; }
        public DateTimeOffset ParkedAt { get; set; }
        public DateTimeOffset FirstRefused { get; set; } = DateTimeOffset.MaxValue;
    }

    private readonly QueueOptions _options = options ?? new QueueOptions();
    private readonly Dictionary<ObjectKey, Entry> _entries = [];

    public int Count => _entries.Count;

    /// <summary>The group whose reservation must be kept alive by trying it in every cycle.</summary>
    public ObjectKey? Reserving { get; set; }

    public QueueLane? LaneOf(ObjectKey group) => _entries.TryGetValue(group, out var e) ? e.Lane : null;

    public int AttemptsOf(ObjectKey group) => _entries.TryGetValue(group, out var e) ? e.Attempts : 0;

    /// <summary>The request the group was last queued with, or null when it is not queued.</summary>
    public GangRequest? Find(ObjectKey group) => _entries.TryGetValue(group, out var e) ? e.Request : null;

    /// <summary>1-based rank of the group in the gang order among every queued group, whatever its lane; 0 when not queued. O(queued).</summary>
    public int PositionOf(ObjectKey group) => _entries.TryGetValue(group, out var e) ? CountAhead(e.Request) + 1 : 0;

    /// <summary>How many queued groups rank ahead of <paramref name="request"/>, which need not be queued itself. O(queued).</summary>
    public int CountAhead(GangRequest request) => _entries.Values.Count(e => e.Request.Key != request.Key && _order.Compare(e.Request, request) < 0);

    /// <summary>When the group was first refused, for "pending for" figures; null if never.</summary>
    public DateTimeOffset? FirstRefused(ObjectKey group) =>
        _entries.TryGetValue(group, out var e) && e.FirstRefused != DateTimeOffset.MaxValue ? e.FirstRefused : null;

    /// <summary>
    /// A group appeared or changed (a member added, its PodGroup edited). A changed group is worth
    /// trying again at once, as kube-scheduler does for an updated pod; backoff still applies.
    /// </summary>
    public void AddOrUpdate(GangRequest request)
    {
        if (_entries.TryGetValue(request.Key, out var e))
        {
            e.Request = request;
            if (e.Lane == QueueLane.Unschedulable) MoveOut(e);
            return;
        }
        _entries[request.Key] = new Entry(request) { Lane = QueueLane.Active };
    }

    public bool Remove(ObjectKey group)
    {
        if (Reserving == group) Reserving = null;
        return _entries.Remove(group);
    }

    /// <summary>
    /// Node added or updated, or a pod deleted: something may fit now. Parked groups move to backoff
    /// (or straight to active when their backoff is over).
    /// </summary>
    public void OnCapacityFreed()
    {
        foreach (var e in _entries.Values)
            if (e.Lane == QueueLane.Unschedulable) MoveOut(e);
    }

    /// <summary>Groups for the next cycle, in the gang order; promotes expired backoffs and long-parked groups first.</summary>
    public IReadOnlyList<GangRequest> Ready()
    {
        var now = time.GetUtcNow();
        var ready = new List<GangRequest>();
        foreach (var e in _entries.Values)
        {
            if (e.Lane == QueueLane.Backoff && e.BackoffUntil <= now) e.Lane = QueueLane.Active;
            if (e.Lane == QueueLane.Unschedulable && now - e.ParkedAt >= _options.MaxInUnschedulable) e.Lane = QueueLane.Active;
            if (e.Lane == QueueLane.Active || e.Request.Key == Reserving) ready.Add(e.Request);
        }
        ready.Sort(_order);
        return ready;
    }

    /// <summary>Records a cycle's outcome: admitted groups leave; refused ones park with a longer backoff.</summary>
    public void Done(GangDecision decision)
    {
        if (!_entries.TryGetValue(decision.Group, out var e)) return;
        if (decision.Admitted)
        {
            Remove(decision.Group);
            return;
        }
        var now = time.GetUtcNow();
        e.Attempts++;
        if (e.FirstRefused == DateTimeOffset.MaxValue) e.FirstRefused = now;
        e.BackoffUntil = now + Backoff(e.Attempts);
        e.ParkedAt = now;
        e.Lane = QueueLane.Unschedulable;
    }

    /// <summary>A bind or API failure (not a fit problem): retry after backoff, without waiting for an event.</summary>
    public void Failed(ObjectKey group)
    {
        if (!_entries.TryGetValue(group, out var e)) return;
        e.Attempts++;
        e.BackoffUntil = time.GetUtcNow() + Backoff(e.Attempts);
        e.Lane = QueueLane.Backoff;
    }

    /// <summary>
    /// Binds of an admitted group failed after it left the queue: it comes back in backoff (not parked:
    /// no event need happen for a retry to make sense).
    /// </summary>
    public void BindFailed(GangRequest request)
    {
        if (!_entries.ContainsKey(request.Key)) _entries[request.Key] = new Entry(request);
        Failed(request.Key);
    }

    private TimeSpan Backoff(int attempts)
    {
        var backoff = _options.InitialBackoff;
        for (var i = 1; i < attempts && backoff < _options.MaxBackoff; i++) backoff *= 2;
        return backoff < _options.MaxBackoff ? backoff : _options.MaxBackoff;
    }

    private void MoveOut(Entry e) => e.Lane = e.BackoffUntil <= time.GetUtcNow() ? QueueLane.Active : QueueLane.Backoff;
}
