using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Quorum.Kubernetes;

/// <summary>scheduling.quorum.dev/v1alpha1 PodGroup: a gang of pods, optionally a tree of sub-groups.</summary>
[KubernetesEntity(Group = ApiGroup, Kind = "PodGroup", ApiVersion = Version, PluralName = "podgroups")]
public sealed class PodGroupResource : IKubernetesObject<V1ObjectMeta>
{
    public const string ApiGroup = "scheduling.quorum.dev";
    public const string Version = "v1alpha1";
    public const string GroupVersion = ApiGroup + "/" + Version;

    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = GroupVersion;
    [JsonPropertyName("kind")] public string Kind { get; set; } = "PodGroup";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public PodGroupSpecResource? Spec { get; set; }
    [JsonPropertyName("status")] public PodGroupStatusResource? Status { get; set; }
}

public sealed class PodGroupSpecResource
{
    [JsonPropertyName("minMember")] public int? MinMember { get; set; }
    [JsonPropertyName("minSubGroup")] public int? MinSubGroup { get; set; }
    [JsonPropertyName("priorityClassName")] public string? PriorityClassName { get; set; }
    [JsonPropertyName("scheduleTimeoutSeconds")] public int? ScheduleTimeoutSeconds { get; set; }
    [JsonPropertyName("topologyConstraint")] public TopologyConstraintResource? TopologyConstraint { get; set; }
    [JsonPropertyName("subGroups")] public IList<SubGroupResource>? SubGroups { get; set; }
}

public sealed class SubGroupResource
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("parent")] public string? Parent { get; set; }
    [JsonPropertyName("minMember")] public int? MinMember { get; set; }
    [JsonPropertyName("minSubGroup")] public int? MinSubGroup { get; set; }
    [JsonPropertyName("topologyConstraint")] public TopologyConstraintResource? TopologyConstraint { get; set; }
}

public sealed class TopologyConstraintResource
{
    [JsonPropertyName("topology")] public string? Topology { get; set; }
    [JsonPropertyName("requiredTopologyLevel")] public string? RequiredTopologyLevel { get; set; }
    [JsonPropertyName("preferredTopologyLevel")] public string? PreferredTopologyLevel { get; set; }
}

public sealed class PodGroupStatusResource
{
    [JsonPropertyName("phase")] public string? Phase { get; set; }
    [JsonPropertyName("scheduled")] public int? Scheduled { get; set; }
    [JsonPropertyName("running")] public int? Running { get; set; }
    [JsonPropertyName("subGroups")] public IList<SubGroupStatusResource>? SubGroups { get; set; }
    [JsonPropertyName("conditions")] public IList<V1Condition>? Conditions { get; set; }
}

public sealed class SubGroupStatusResource
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("scheduled")] public int? Scheduled { get; set; }
    [JsonPropertyName("pending")] public int? Pending { get; set; }
}
