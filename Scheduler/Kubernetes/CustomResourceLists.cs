using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace Quorum.Kubernetes;

/// <summary>PodGroupList, for typed list and watch of the custom resource.</summary>
public sealed class PodGroupList : IItems<PodGroupResource>, IMetadata<V1ListMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = PodGroupResource.GroupVersion;
    [JsonPropertyName("kind")] public string Kind { get; set; } = "PodGroupList";
    [JsonPropertyName("metadata")] public V1ListMeta Metadata { get; set; } = new();
    [JsonPropertyName("items")] public IList<PodGroupResource> Items { get; set; } = [];
}

/// <summary>TopologyList, for typed list and watch of the custom resource.</summary>
public sealed class TopologyList : IItems<TopologyResource>, IMetadata<V1ListMeta>
{
    [JsonPropertyName("apiVersion")] public string ApiVersion { get; set; } = PodGroupResource.GroupVersion;
    [JsonPropertyName("kind")] public string Kind { get; set; } = "TopologyList";
    [JsonPropertyName("metadata")] public V1ListMeta Metadata { get; set; } = new();
    [JsonPropertyName("items")] public IList<TopologyResource> Items { get; set; } = [];
}
