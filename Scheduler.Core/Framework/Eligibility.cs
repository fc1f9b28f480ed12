using System.Collections.Immutable;
using Quorum.Core.Model;
using Quorum.Core.Snapshot;
using Quorum.Core.Topology;

namespace Quorum.Core.Framework;

/// <summary>
/// The nodes a pod could ever use, whatever runs on them: those passing every filter that reads only
/// the node's spec (unschedulable, taints, selector and node affinity). Computed once per distinct set
/// of pod constraints and kept until a node spec changes (<see cref="ClusterSnapshot.SpecGeneration"/>),
/// so asking costs O(1) in a steady cluster. It answers "could freed capacity help this gang at all?"
/// and "which nodes may a starving gang hold?".
/// </summary>
/// <remarks>
/// Capacity figures here are allocatable, not free: the answer for an empty cluster. Per (tree, depth,
/// GPUs per pod) the best domain's figure is cached too, so classifying a refusal costs O(levels).
/// </remarks>
public sealed class Eligibility
{
    private const int MaxEntries = 256;

    private readonly ClusterSnapshot _snapshot;
    private readonly Dictionary<(FilterChain, ConstraintKey), EligibleNodes> _entries = [];
    private long _generation = -1;

    internal Eligibility(ClusterSnapshot snapshot) => _snapshot = snapshot;

    /// <summary>Nodes <paramref name="pod"/> could use once freed, under <paramref name="filters"/>' spec-only filters.</summary>
    public EligibleNodes For(Pod pod, FilterChain filters)
    {
        if (_generation != _snapshot.SpecGeneration)
        {
            _entries.Clear();
            _generation = _snapshot.SpecGeneration;
        }
        var key = (filters, new ConstraintKey(pod));
        if (_entries.TryGetValue(key, out var nodes)) return nodes;
        // Bounded: pods with unusual constraints each make an entry, and a cluster may have many.
        if (_entries.Count >= MaxEntries) _entries.Clear();
        nodes = new EligibleNodes(_snapshot, pod, filters);
        _entries[key] = nodes;
        return nodes;
    }

    /// <summary>What makes two pods' spec-only filter answers equal: selector, node affinity, tolerations and spread keys.</summary>
    internal readonly struct ConstraintKey(Pod pod) : IEquatable<ConstraintKey>
    {
        private readonly ImmutableArray<KeyValuePair<string, string>> _selector = pod.NodeSelectorPairs;
        private readonly ImmutableArray<NodeSelectorTerm> _affinity = pod.RequiredNodeAffinity.IsDefault ? [] : pod.RequiredNodeAffinity;
        private readonly ImmutableArray<Toleration> _tolerations = pod.Tolerations.IsDefault ? [] : pod.Tolerations;

        // PodTopologySpreadLabels reads the keys of DoNotSchedule spread constraints.
        private readonly ImmutableArray<string> _spreadKeys = pod.SpreadConstraints.IsDefaultOrEmpty ? []
            : [.. pod.SpreadConstraints.Where(c => c.WhenUnsatisfiable == SpreadAction.DoNotSchedule).Select(c => c.TopologyKey)];

        public bool Equals(ConstraintKey other) =>
            _selector.SequenceEqual(other._selector) && _affinity.SequenceEqual(other._affinity) && _tolerations.SequenceEqual(other._tolerations)
            && _spreadKeys.SequenceEqual(other._spreadKeys);

        public override bool Equals(object? obj) => obj is ConstraintKey k && Equals(k);

        public override int GetHashCode()
        {
            var h = new HashCode();
            foreach (var kv in _selector) h.Add(kv);
            foreach (var t in _affinity) h.Add(t);
            foreach (var t in _tolerations) h.Add(t);
            foreach (var k in _spreadKeys) h.Add(k);
            return h.ToHashCode();
        }
    }
}

/// <summary>A set of node slots (see <see cref="Eligibility"/>), with capacity figures derived from it on demand.</summary>
public sealed class EligibleNodes
{
    private readonly ClusterSnapshot _snapshot;
    private readonly ulong[] _bits;
    private readonly Dictionary<(TopologyTree Tree, int Depth, long GpusPerPod, int RequiredDepth), long> _bestDomain = [];

    internal EligibleNodes(ClusterSnapshot snapshot, Pod pod, FilterChain filters)
    {
        _snapshot = snapshot;
        _bits = new ulong[(snapshot.SlotCount + 63) / 64];
        foreach (var node in snapshot.Nodes)
        {
            if (!filters.PassesSpecOnly(pod, node)) continue;
            _bits[node.Slot >> 6] |= 1UL << (node.Slot & 63);
            Count++;
            MaxAllocatableGpu = Math.Max(MaxAllocatableGpu, node.Node.Allocatable.Gpu);
        }
        AllNodes = Count == snapshot.NodeCount;
    }

    public int Count { get; }

    /// <summary>Every node of the snapshot is eligible: aggregates of the topology tree can stand in for scans.</summary>
    public bool AllNodes { get; }

    /// <summary>The most GPUs one eligible node has in all.</summary>
    public long MaxAllocatableGpu { get; }

    public bool Contains(int slot) => (slot >> 6) < _bits.Length && (_bits[slot >> 6] & (1UL << (slot & 63))) != 0;

    /// <summary>
    /// The most pods of <paramref name="gpusPerPod"/> GPUs (for 0: pod slots) one domain at
    /// <paramref name="depth"/> could hold on its eligible nodes if it were empty. Domains lacking a
    /// label at any level down to <paramref name="requiredDepth"/> do not count (a required level is a
    /// guarantee, never met by "unlabelled").
    /// </summary>
    public long BestDomainCapacity(TopologyTree tree, int depth, long gpusPerPod, int requiredDepth)
    {
        var key = (tree, depth, gpusPerPod, requiredDepth);
        if (_bestDomain.TryGetValue(key, out var best)) return best;
        var domains = new List<int>();
        tree.DomainsAt(TopologyTree.RootDomain, depth, domains);
        best = 0;
        foreach (var d in domains)
        {
            if (!tree.LabelledDownTo(d, requiredDepth)) continue;
            long sum = 0;
            foreach (var slot in tree.SlotsOf(d))
            {
                if (!Contains(slot) || _snapshot[slot] is not { } info) continue;
                // Pods without GPUs are bounded by the node's pod slots.
                sum += gpusPerPod > 0 ? info.Node.Allocatable.Gpu / gpusPerPod : info.Node.Allocatable.Pods;
            }
            best = Math.Max(best, sum);
        }
        _bestDomain[key] = best;
        return best;
    }
}
