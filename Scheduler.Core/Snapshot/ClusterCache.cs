using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Core.Snapshot;

/// <summary>
/// The scheduler's memory of the cluster, fed by watch events: nodes, the pods bound to them (of every
/// scheduler, since they all take capacity), and pods this scheduler assumed but whose bind is not
/// confirmed yet. Produces <see cref="ClusterSnapshot"/>s incrementally, as kube-scheduler's cache
/// does: every node carries a generation, and nodes are kept most-recently-changed first, so an
/// update copies only what moved since the snapshot's generation.
/// </summary>
/// <remarks>Not thread-safe: the host serialises events and cycles on one loop.</remarks>
public sealed class ClusterCache
{
    private sealed class NodeState(string name)
    {
        public string Name { get; } = name;
        public Node? Spec { get; set; }
        public Dictionary<ObjectKey, Pod> Pods { get; } = [];
        public ResourceVector Requested { get; set; }
        public long Generation { get; set; }
        public NodeState? Prev { get; set; }
        public NodeState? Next { get; set; }
    }

    private sealed class PodState(Pod pod)
    {
        public Pod Pod { get; set; } = pod;
        public bool Assumed { get; set; }
        public DateTimeOffset Deadline { get; set; }
    }

    private readonly TimeProvider _time;
    private readonly CacheOptions _options;
    private readonly Dictionary<string, NodeState> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<ObjectKey, PodState> _pods = [];
    private readonly Dictionary<string, TopologySpec> _topologies = new(StringComparer.Ordinal);
    private readonly List<(long Generation, string Name)> _deletions = [];
    private long _topologyGeneration;
    private long _deletionsForgottenUpTo;
    private NodeState? _head;
    private long _generation;

    public ClusterCache(TimeProvider? time = null, CacheOptions? options = null)
    {
        _time = time ?? TimeProvider.System;
        _options = options ?? new CacheOptions();
    }

    public long Generation => _generation;

    /// <summary>Nodes with a spec (placeholders for pods on unknown nodes excluded).</summary>
    public int NodeCount => _nodes.Values.Count(n => n.Spec is not null);

    public int PodCount => _pods.Count;

    public int AssumedPodCount => _pods.Values.Count(p => p.Assumed);

    public bool IsAssumed(ObjectKey pod) => _pods.TryGetValue(pod, out var s) && s.Assumed;

    public Pod? FindPod(ObjectKey key) => _pods.TryGetValue(key, out var s) ? s.Pod : null;

    public IEnumerable<Pod> Pods => _pods.Values.Select(p => p.Pod);

    public IReadOnlyDictionary<string, TopologySpec> Topologies => _topologies;

    // ---- Nodes ---------------------------------------------------------------------------------

    public CacheResult AddOrUpdateNode(Node node)
    {
        if (!_nodes.TryGetValue(node.Name, out var state))
        {
            state = new NodeState(node.Name);
            _nodes[node.Name] = state;
        }
        state.Spec = node;
        Touch(state);
        return CacheResult.Applied;
    }

    /// <summary>
    /// Removes a node. Pods still bound to it keep their accounting (as a placeholder without spec)
    /// until their own delete events arrive, so no pod is lost whatever the event order.
    /// </summary>
    public CacheResult RemoveNode(string name)
    {
        if (!_nodes.TryGetValue(name, out var state) || state.Spec is null)
            return CacheResult.Ignore($"node {name}: delete of a node the cache does not know");
        state.Spec = null;
        if (state.Pods.Count == 0) Drop(state);
        else Touch(state);
        return CacheResult.Applied;
    }

    // ---- Pods ----------------------------------------------------------------------------------

    /// <summary>
    /// A pod added or updated by a watch. Bound pods count against their node; a pod seen bound that
    /// this scheduler assumed is thereby confirmed. Pending pods are the queue's business, not the cache's.
    /// </summary>
    public CacheResult AddOrUpdatePod(Pod pod)
    {
        if (pod.Terminated)
        {
            // Succeeded/Failed pods release their resources though the object remains.
            return _pods.ContainsKey(pod.Key) ? RemovePod(pod.Key) : CacheResult.Ignore($"pod {pod.Key}: terminated");
        }
        _pods.TryGetValue(pod.Key, out var existing);
        if (pod.NodeName is null)
        {
            // The same pod still pending: its bind is not visible yet. A new pod under the same name
            // (deleted and recreated while a watch was down) is not the one that was assumed.
            if (existing is { Assumed: true } && SameObject(existing.Pod, pod))
                return CacheResult.Ignore($"pod {pod.Key}: assumed, bind not yet visible");
            if (existing is null) return CacheResult.Ignore($"pod {pod.Key}: not bound");
            // A bound copy of an unbound pod is of an earlier incarnation: release what it held.
            RemovePod(pod.Key);
            return CacheResult.Applied;
        }
        if (existing is not null)
        {
            if (existing.Pod.NodeName == pod.NodeName && existing.Pod.Requests == pod.Requests)
            {
                existing.Pod = pod;
                existing.Assumed = false;
                return CacheResult.Applied;
            }
            // Bound elsewhere than assumed, or requests resized in place: re-account.
            Unaccount(existing.Pod);
        }
        var state = existing ?? new PodState(pod);
        state.Pod = pod;
        state.Assumed = false;
        _pods[pod.Key] = state;
        Account(pod);
        return CacheResult.Applied;
    }

    private static bool SameObject(Pod a, Pod b) => string.IsNullOrEmpty(a.Uid) || string.IsNullOrEmpty(b.Uid) || a.Uid == b.Uid;

    public CacheResult RemovePod(ObjectKey key)
    {
        if (!_pods.Remove(key, out var state)) return CacheResult.Ignore($"pod {key}: delete of a pod the cache does not hold");
        Unaccount(state.Pod);
        return CacheResult.Applied;
    }

    /// <summary>
    /// Counts a pod on a node before its bind is confirmed, so the next cycle sees the capacity as
    /// taken. Expires after <see cref="CacheOptions.AssumedPodTtl"/> unless confirmed by a watch event;
    /// with <paramref name="bindingPending"/> the TTL starts only at <see cref="FinishBinding"/>
    /// (kube-scheduler's rule): a bind waiting in a long queue must not have its capacity handed out twice.
    /// </summary>
    public CacheResult AssumePod(Pod pod, string nodeName, bool bindingPending = false)
    {
        if (_pods.TryGetValue(pod.Key, out var existing))
            return CacheResult.Reject(existing.Assumed
                ? $"pod {pod.Key}: already assumed on node {existing.Pod.NodeName}"
                : $"pod {pod.Key}: already bound to node {existing.Pod.NodeName}");
        if (!_nodes.TryGetValue(nodeName, out var node) || node.Spec is null)
            return CacheResult.Reject($"pod {pod.Key}: cannot assume onto unknown node {nodeName}");
        var assumed = pod with { NodeName = nodeName };
        _pods[pod.Key] = new PodState(assumed) { Assumed = true, Deadline = bindingPending ? DateTimeOffset.MaxValue : _time.GetUtcNow() + _options.AssumedPodTtl };
        Account(assumed);
        return CacheResult.Applied;
    }

    /// <summary>
    /// Marks a node changed so the next snapshot update copies it again: for a decision whose
    /// tentative reservation on the snapshot was not followed by an assumption here.
    /// </summary>
    public void Invalidate(string nodeName)
    {
        if (_nodes.TryGetValue(nodeName, out var node)) Touch(node);
    }

    /// <summary>The bind was accepted: the assumption now expires after the TTL unless the watch confirms it.</summary>
    public void FinishBinding(ObjectKey key)
    {
        if (_pods.TryGetValue(key, out var state) && state.Assumed) state.Deadline = _time.GetUtcNow() + _options.AssumedPodTtl;
    }

    /// <summary>Undoes an assumption whose bind failed.</summary>
    public CacheResult ForgetPod(ObjectKey key)
    {
        if (!_pods.TryGetValue(key, out var state)) return CacheResult.Ignore($"pod {key}: forget of a pod the cache does not hold");
        if (!state.Assumed) return CacheResult.Reject($"pod {key}: bound, not assumed; only its delete event removes it");
        return RemovePod(key);
    }

    /// <summary>Drops assumed pods past their deadline; returns them so the host can requeue.</summary>
    public IReadOnlyList<Pod> ExpireAssumedPods()
    {
        var now = _time.GetUtcNow();
        List<Pod>? expired = null;
        foreach (var s in _pods.Values)
            if (s.Assumed && s.Deadline <= now) (expired ??= []).Add(s.Pod);
        if (expired is null) return [];
        foreach (var p in expired) RemovePod(p.Key);
        return expired;
    }

    /// <summary>Pods (bound or assumed) on a node, for tests and reports.</summary>
    public IReadOnlyCollection<Pod> PodsOn(string nodeName) =>
        _nodes.TryGetValue(nodeName, out var n) ? n.Pods.Values : [];

    public Node? FindNode(string name) => _nodes.TryGetValue(name, out var n) ? n.Spec : null;

    /// <summary>Requested resources on a node as the cache accounts them.</summary>
    public ResourceVector RequestedOn(string nodeName) => _nodes.TryGetValue(nodeName, out var n) ? n.Requested : default;

    // ---- Topologies ---------------------------------------------------------------------------

    public CacheResult SetTopology(TopologySpec spec)
    {
        _topologies[spec.Name] = spec;
        _topologyGeneration++;
        return CacheResult.Applied;
    }

    public CacheResult RemoveTopology(string name)
    {
        if (!_topologies.Remove(name)) return CacheResult.Ignore($"topology {name}: not known");
        _topologyGeneration++;
        return CacheResult.Applied;
    }

    // ---- Snapshot ------------------------------------------------------------------------------

    /// <summary>
    /// Brings <paramref name="snapshot"/> up to date: O(nodes changed since its generation), plus a
    /// one-off O(nodes) when the snapshot is new, was fed by another cache, or missed more node
    /// deletions than the deletion log keeps.
    /// </summary>
    /// <summary>Claims, volumes and storage classes; replaced whole on every change, so snapshots share it safely.</summary>
    public VolumeCatalog Volumes { get; set; } = VolumeCatalog.Empty;

    public void UpdateSnapshot(ClusterSnapshot snapshot)
    {
        snapshot.Volumes = Volumes;
        var since = snapshot.Generation;
        if (!ReferenceEquals(snapshot.Owner, this))
        {
            foreach (var n in snapshot.Nodes.Select(n => n.Name).ToList()) snapshot.RemoveNode(n);
            since = 0;
            snapshot.Owner = this;
            snapshot.TopologyGeneration = -1;
        }

        if (since > 0 && since < _deletionsForgottenUpTo)
        {
            // The log no longer covers this snapshot's gap: find deleted nodes by comparison.
            foreach (var n in snapshot.Nodes.Select(n => n.Name).ToList())
                if (!_nodes.TryGetValue(n, out var s) || s.Spec is null) snapshot.RemoveNode(n);
        }
        else
        {
            for (var i = _deletions.Count - 1; i >= 0 && _deletions[i].Generation > since; i--)
            {
                var name = _deletions[i].Name;
                if (!_nodes.TryGetValue(name, out var s) || s.Spec is null) snapshot.RemoveNode(name);
            }
        }

        for (var n = _head; n is not null && n.Generation > since; n = n.Next)
        {
            if (n.Spec is null) snapshot.RemoveNode(n.Name);
            else snapshot.SetNode(n.Spec, n.Requested, n.Pods.Values, n.Generation);
        }

        if (snapshot.TopologyGeneration != _topologyGeneration)
        {
            foreach (var name in snapshot.TopologyNames.Where(t => t != ClusterSnapshot.FlatTopologyName && !_topologies.ContainsKey(t)).ToList())
                snapshot.RemoveTopology(name);
            foreach (var spec in _topologies.Values) snapshot.SetTopology(spec);
            snapshot.TopologyGeneration = _topologyGeneration;
        }
        snapshot.Generation = _generation;
    }

    // ---- Internals -----------------------------------------------------------------------------

    private void Account(Pod pod)
    {
        var node = NodeFor(pod.NodeName!);
        node.Pods[pod.Key] = pod;
        node.Requested += pod.Requests;
        Touch(node);
    }

    private void Unaccount(Pod pod)
    {
        if (!_nodes.TryGetValue(pod.NodeName!, out var node) || !node.Pods.Remove(pod.Key)) return;
        node.Requested -= pod.Requests;
        if (node.Spec is null && node.Pods.Count == 0) Drop(node);
        else Touch(node);
    }

    private NodeState NodeFor(string name)
    {
        if (!_nodes.TryGetValue(name, out var state))
        {
            // A pod bound to a node not seen yet: keep it on a placeholder until the node arrives.
            state = new NodeState(name);
            _nodes[name] = state;
        }
        return state;
    }

    /// <summary>Bumps the generation and moves the node to the head of the recency list.</summary>
    private void Touch(NodeState node)
    {
        node.Generation = ++_generation;
        if (_head == node) return;
        Unlink(node);
        node.Next = _head;
        if (_head is not null) _head.Prev = node;
        _head = node;
    }

    private void Drop(NodeState node)
    {
        Unlink(node);
        _nodes.Remove(node.Name);
        _deletions.Add((++_generation, node.Name));
        if (_deletions.Count > _options.DeletionLogLength)
        {
            var forget = _deletions.Count / 2;
            _deletionsForgottenUpTo = _deletions[forget - 1].Generation;
            _deletions.RemoveRange(0, forget);
        }
    }

    private void Unlink(NodeState node)
    {
        if (node.Prev is not null) node.Prev.Next = node.Next;
        if (node.Next is not null) node.Next.Prev = node.Prev;
        if (_head == node) _head = node.Next;
        node.Prev = node.Next = null;
    }
}
