using Quorum.Core.Gangs;
using Quorum.Core.Model;

namespace Quorum.Core.Queue;

/// <summary>The order gangs are tried in: priority (high first), then creation time, then namespace/name.</summary>
public sealed class QueueOrder : IComparer<GangRequest>
{
    public static QueueOrder Instance { get; } = new();

    public int Compare(GangRequest? x, GangRequest? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return 1;
        if (y is null) return -1;
        var c = y.Priority.CompareTo(x.Priority);
        if (c != 0) return c;
        c = x.CreationTimestamp.CompareTo(y.CreationTimestamp);
        return c != 0 ? c : ObjectKey.Ordinal.Compare(x.Key, y.Key);
    }
}
