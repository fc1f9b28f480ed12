using Quorum.Core.Framework;
using Quorum.Core.Gangs;
using Quorum.Core.Model;

namespace Quorum.Core.Plugins;

/// <summary>kube-scheduler's PrioritySort, for gangs: priority (high first), then creation time, then namespace/name.</summary>
public sealed class PrioritySort : IGangOrder
{
    public static PrioritySort Instance { get; } = new();

    public string Name => "PrioritySort";

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
