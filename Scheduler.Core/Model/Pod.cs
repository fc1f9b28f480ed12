using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Quorum.Core.Model;

/// <summary>Membership of a pod in a PodGroup: the group's name and, for groups with sub-groups, its leaf.</summary>
public sealed record GroupMembership(string PodGroup, string? SubGroup);

/// <summary>What the scheduler knows of a pod: the part of core/v1 Pod that placement and accounting read.</summary>
public sealed record Pod
{
    public Pod(ObjectKey key, ResourceVector requests)
    {
        ArgumentException.ThrowIfNullOrEmpty(key.Namespace);
        ArgumentException.ThrowIfNullOrEmpty(key.Name);
        if (requests.AnyNegative) throw new ArgumentException($"pod {key}: requests must not be negative ({requests})", nameof(requests));
        Key = key;
        // Every pod occupies one pod slot, whatever it requests (kube-scheduler's "pods" resource).
        Requests = requests.WithPods(1);
    }

    public ObjectKey Key { get; }
    public string Uid { get; init; } = "";

    /// <summary>Effective requests (see <see cref="PodRequests"/>), including one pod slot.</summary>
    public ResourceVector Requests { get; }

    private readonly IReadOnlyDictionary<string, string> _nodeSelector = FrozenDictionary<string, string>.Empty;

    public IReadOnlyDictionary<string, string> NodeSelector
    {
        get => _nodeSelector;
        init
        {
            _nodeSelector = value;
            NodeSelectorPairs = [.. value];
        }
    }

    /// <summary>The selector as an array: the filter walks it per node, and an interface enumerator would allocate.</summary>
    internal ImmutableArray<KeyValuePair<string, string>> NodeSelectorPairs { get; private init; } = [];

    /// <summary>requiredDuringSchedulingIgnoredDuringExecution terms, ORed; empty means no requirement.</summary>
    public ImmutableArray<NodeSelectorTerm> RequiredNodeAffinity { get; init; } = [];

    public ImmutableArray<Toleration> Tolerations { get; init; } = [];

    public IReadOnlyDictionary<string, string> Labels { get; init; } = FrozenDictionary<string, string>.Empty;

    /// <summary>spec.affinity.podAffinity and podAntiAffinity (InterPodAffinity).</summary>
    public PodAffinity Affinity { get; init; } = PodAffinity.None;

    /// <summary>Host ports of its containers (NodePorts); hostPort 0 is none and not listed.</summary>
    public ImmutableArray<HostPort> HostPorts { get; init; } = [];

    public ImmutableArray<TopologySpreadConstraint> SpreadConstraints { get; init; } = [];

    /// <summary>PersistentVolumeClaims its volumes use, by name in its namespace (generic ephemeral volumes: pod-volume).</summary>
    public ImmutableArray<string> Claims { get; init; } = [];
    public int Priority { get; init; }
    public GroupMembership? Group { get; init; }

    /// <summary>spec.nodeName: set once bound (or assumed in the cache).</summary>
    public string? NodeName { get; init; }

    public string SchedulerName { get; init; } = "default-scheduler";
    public DateTimeOffset CreationTimestamp { get; init; }

    /// <summary>spec.schedulingGates is non-empty: not schedulable until they are removed.</summary>
    public bool SchedulingGated { get; init; }

    /// <summary>Succeeded or Failed: the pod holds no resources any more.</summary>
    public bool Terminated { get; init; }

    /// <summary>status.phase is Running: the kubelet started it (a bound pod may still be Pending).</summary>
    public bool Running { get; init; }

    public bool IsBound => NodeName is not null;
}
