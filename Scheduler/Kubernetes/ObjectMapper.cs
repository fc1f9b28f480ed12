using System.Collections.Immutable;
using k8s.Models;
using Quorum.Core.Gangs;
using Quorum.Core.Model;
using Quorum.Core.Topology;

namespace Quorum.Kubernetes;

/// <summary>
/// Maps Kubernetes objects to the core model. The one place that reads client types; everything it
/// cannot use is refused with an <see cref="InvalidObjectException"/> naming the object and field.
/// </summary>
public static class ObjectMapper
{
    public static Node ToNode(V1Node node)
    {
        var name = node.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("Node <unnamed>", "metadata.name", "must be set");
        var where = $"Node {name}";
        var allocatable = ToResources(node.Status?.Allocatable, where, "status.allocatable");
        var taints = (node.Spec?.Taints ?? []).Select((t, i) => new Taint(
            t.Key ?? throw new InvalidObjectException(where, $"spec.taints[{i}].key", "must be set"),
            t.Value, ParseEffect(t.Effect, where, $"spec.taints[{i}].effect") ?? TaintEffect.NoSchedule)).ToImmutableArray();
        return new Node(name, allocatable, node.Metadata!.Labels?.ToDictionary() ?? [], taints, node.Spec?.Unschedulable ?? false);
    }

    public static Pod ToPod(V1Pod pod)
    {
        var ns = pod.Metadata?.NamespaceProperty;
        var name = pod.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("Pod <unnamed>", "metadata.name", "must be set");
        if (string.IsNullOrEmpty(ns)) ns = "default";
        var where = $"Pod {ns}/{name}";
        var spec = pod.Spec ?? throw new InvalidObjectException(where, "spec", "must be set");

        var containers = (spec.Containers ?? []).Select((c, i) =>
            new ContainerRequests(ToResources(c.Resources?.Requests, where, $"spec.containers[{i}].resources.requests", c.Resources?.Limits)));
        var inits = (spec.InitContainers ?? []).Select((c, i) =>
            new ContainerRequests(ToResources(c.Resources?.Requests, where, $"spec.initContainers[{i}].resources.requests", c.Resources?.Limits),
                IsSidecar: c.RestartPolicy == "Always"));
        var overhead = ToResources(spec.Overhead, where, "spec.overhead");
        var requests = PodRequests.Compute(containers.ToList(), inits.ToList(), overhead);

        var labels = pod.Metadata!.Labels ?? new Dictionary<string, string>();
        labels.TryGetValue(WellKnown.PodGroupLabel, out var group);
        labels.TryGetValue(WellKnown.SubGroupLabel, out var subGroup);
        var phase = pod.Status?.Phase;

        return new Pod(new ObjectKey(ns, name), requests)
        {
            Uid = pod.Metadata.Uid ?? "",
            NodeSelector = spec.NodeSelector?.ToDictionary() ?? [],
            RequiredNodeAffinity = ToTerms(spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution, where),
            Tolerations = [.. (spec.Tolerations ?? []).Select((t, i) => ToToleration(t, where, $"spec.tolerations[{i}]"))],
            Priority = spec.Priority ?? 0,
            Group = string.IsNullOrEmpty(group) ? null : new GroupMembership(group, string.IsNullOrEmpty(subGroup) ? null : subGroup),
            NodeName = string.IsNullOrEmpty(spec.NodeName) ? null : spec.NodeName,
            SchedulerName = string.IsNullOrEmpty(spec.SchedulerName) ? "default-scheduler" : spec.SchedulerName,
            CreationTimestamp = pod.Metadata.CreationTimestamp is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : default,
            SchedulingGated = spec.SchedulingGates is { Count: > 0 },
            Terminated = phase is "Succeeded" or "Failed",
            Running = phase == "Running",
        };
    }

    public static TopologySpec ToTopology(TopologyResource topology)
    {
        var name = topology.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("Topology <unnamed>", "metadata.name", "must be set");
        var levels = topology.Spec?.Levels?.Select(l => l.NodeLabel ?? "").ToList() ?? [];
        var error = TopologySpec.Validate(levels);
        if (error is not null)
        {
            var colon = error.IndexOf(':', StringComparison.Ordinal);
            throw new InvalidObjectException($"Topology {name}", error[..colon], error[(colon + 2)..]);
        }
        return new TopologySpec(name, levels);
    }

    /// <param name="group">The object.</param>
    /// <param name="priorityOf">Resolves a PriorityClass name to its value; null when unknown.</param>
    public static PodGroupSpec ToPodGroup(PodGroupResource group, Func<string, int?>? priorityOf = null)
    {
        var name = group.Metadata?.Name;
        if (string.IsNullOrEmpty(name)) throw new InvalidObjectException("PodGroup <unnamed>", "metadata.name", "must be set");
        var ns = string.IsNullOrEmpty(group.Metadata!.NamespaceProperty) ? "default" : group.Metadata.NamespaceProperty;
        var spec = group.Spec ?? new PodGroupSpecResource();
        var priority = 0;
        if (spec.PriorityClassName is { Length: > 0 } pc)
        {
            priority = priorityOf?.Invoke(pc)
                ?? throw new InvalidObjectException($"PodGroup {ns}/{name}", "spec.priorityClassName", $"PriorityClass \"{pc}\" does not exist");
        }
        return new PodGroupSpec(new ObjectKey(ns, name))
        {
            MinMember = spec.MinMember,
            MinSubGroup = spec.MinSubGroup,
            PriorityClassName = spec.PriorityClassName,
            Priority = priority,
            ScheduleTimeoutSeconds = spec.ScheduleTimeoutSeconds,
            TopologyConstraint = ToConstraint(spec.TopologyConstraint),
            SubGroups = [.. (spec.SubGroups ?? []).Select(s => new SubGroupSpec(s.Name ?? "", s.Parent, s.MinMember, s.MinSubGroup, ToConstraint(s.TopologyConstraint)))],
            CreationTimestamp = group.Metadata.CreationTimestamp is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : default,
        };
    }

    private static TopologyConstraint? ToConstraint(TopologyConstraintResource? c) =>
        c is null ? null : new TopologyConstraint(c.Topology, c.RequiredTopologyLevel, c.PreferredTopologyLevel);

    /// <summary>Requests in scheduler units; a resource with only a limit requests the limit (API server defaulting).</summary>
    private static ResourceVector ToResources(IDictionary<string, ResourceQuantity>? requests, string where, string field,
        IDictionary<string, ResourceQuantity>? limits = null)
    {
        var amounts = new Dictionary<string, long>(StringComparer.Ordinal);
        void Read(IDictionary<string, ResourceQuantity>? from, string f, bool onlyMissing)
        {
            if (from is null) return;
            foreach (var (resource, quantity) in from)
            {
                if (onlyMissing && amounts.ContainsKey(resource)) continue;
                var text = quantity?.ToString() ?? "";
                try
                {
                    amounts[resource] = Quantity.ParseResource(resource, text);
                }
                catch (FormatException e)
                {
                    throw new InvalidObjectException(where, $"{f}.{resource}", e.Message);
                }
            }
        }
        Read(requests, field, onlyMissing: false);
        Read(limits, field.Replace(".requests", ".limits", StringComparison.Ordinal), onlyMissing: true);
        return ResourceVector.FromNamed(amounts);
    }

    private static ImmutableArray<NodeSelectorTerm> ToTerms(V1NodeSelector? selector, string where)
    {
        if (selector?.NodeSelectorTerms is null) return [];
        return [.. selector.NodeSelectorTerms.Select((t, i) => new NodeSelectorTerm(
            [.. (t.MatchExpressions ?? []).Select((r, j) => ToRequirement(r, where, $"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{i}].matchExpressions[{j}]"))],
            [.. (t.MatchFields ?? []).Select((r, j) => ToRequirement(r, where, $"spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{i}].matchFields[{j}]"))]))];
    }

    private static NodeSelectorRequirement ToRequirement(V1NodeSelectorRequirement r, string where, string field)
    {
        if (!Enum.TryParse<NodeSelectorOperator>(r.OperatorProperty, ignoreCase: false, out var op))
            throw new InvalidObjectException(where, $"{field}.operator", $"\"{r.OperatorProperty}\" is not one of In, NotIn, Exists, DoesNotExist, Gt, Lt");
        var values = (r.Values ?? []).ToImmutableArray();
        if (op is NodeSelectorOperator.Gt or NodeSelectorOperator.Lt && (values.Length != 1 || !long.TryParse(values[0], out _)))
            throw new InvalidObjectException(where, $"{field}.values", $"operator {op} needs exactly one integer value");
        return new NodeSelectorRequirement(r.Key ?? "", op, values);
    }

    private static Toleration ToToleration(V1Toleration t, string where, string field)
    {
        var op = t.OperatorProperty switch
        {
            null or "" or "Equal" => TolerationOperator.Equal,
            "Exists" => TolerationOperator.Exists,
            var other => throw new InvalidObjectException(where, $"{field}.operator", $"\"{other}\" is not one of Equal, Exists"),
        };
        return new Toleration(t.Key, op, t.Value, ParseEffect(t.Effect, where, $"{field}.effect"));
    }

    private static TaintEffect? ParseEffect(string? effect, string where, string field) => effect switch
    {
        null or "" => null,
        "NoSchedule" => TaintEffect.NoSchedule,
        "PreferNoSchedule" => TaintEffect.PreferNoSchedule,
        "NoExecute" => TaintEffect.NoExecute,
        _ => throw new InvalidObjectException(where, field, $"\"{effect}\" is not one of NoSchedule, PreferNoSchedule, NoExecute"),
    };
}
