namespace Quorum.Reporting;

/// <summary>
/// Keeps Events from storming: the same reason and message on the same object is emitted at most once
/// per interval, and a refused gang emits pod-level events for at most a few of its pods per attempt
/// (the PodGroup carries the full story).
/// </summary>
public sealed class EventThrottle(TimeProvider time, TimeSpan interval, int podEventsPerGroup = 5)
{
    private readonly Dictionary<(string Object, string Reason), (string Message, DateTimeOffset At)> _last = [];

    public int PodEventsPerGroup => podEventsPerGroup;

    /// <summary>True when this event should be emitted now (and records that it was).</summary>
    public bool Allow(string objectRef, string reason, string message)
    {
        var now = time.GetUtcNow();
        if (_last.TryGetValue((objectRef, reason), out var last) && last.Message == message && now - last.At < interval) return false;
        _last[(objectRef, reason)] = (message, now);
        if (_last.Count > 100_000) Prune(now);
        return true;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var key in _last.Where(kv => now - kv.Value.At >= interval).Select(kv => kv.Key).ToList()) _last.Remove(key);
    }
}
