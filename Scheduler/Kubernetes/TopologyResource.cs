using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Quorum.Kubernetes;

/// <summary>scheduling.quorum.dev/v1alpha1 Topology (cluster-scoped): node label keys, outermost first.</summary>
[KubernetesEntity(Group = PodGroupResource.ApiGroup, Kind = "Topology", ApiVersion = PodGroupResource.Version, PluralName = "topologies")]
public sealed class TopologyResource : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = PodGroupResource.GroupVersion;
    [JsonPropertyName("kind")] public string Kind { get; set; } = "Topology";
    [JsonPropertyName("metadata")] public V1ObjectMeta Metadata { get; set; } = new();
    [JsonPropertyName("spec")] public TopologySpecResource? Spec { get; set; }
}

public sealed class TopologySpecResource
{
    [JsonPropertyName("levels")] public IList<TopologyLevelResource>? Levels { get; set; }
}

public sealed class TopologyLevelResource
{
    [JsonPropertyName("nodeLabel")] public string? NodeLabel { get; set; }
}
