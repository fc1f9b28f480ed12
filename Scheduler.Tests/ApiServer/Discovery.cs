using System.Text.Json.Nodes;

namespace Quorum.Tests.ApiServer;

/// <summary>
/// /version and the legacy discovery documents (/api, /apis, /api/v1, /apis/{group}/{version}) for
/// the kinds served, so discovery-driven clients find what is there and nothing else.
/// </summary>
internal sealed partial class ApiHandlers
{
    public const string GitVersion = "v1.34.0";

    private JsonObject? Discovery(string path)
    {
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var all = kinds.All;
        switch (parts)
        {
            case ["version"]:
                return new JsonObject
                {
                    ["major"] = "1", ["minor"] = "34", ["gitVersion"] = GitVersion, ["gitCommit"] = "quorum-stand-in",
                    ["gitTreeState"] = "clean", ["buildDate"] = "2025-01-01T00:00:00Z", ["goVersion"] = "go1.24",
                    ["compiler"] = "gc", ["platform"] = "linux/amd64",
                };
            case ["api"]:
                return new JsonObject
                {
                    ["kind"] = "APIVersions",
                    ["versions"] = new JsonArray("v1"),
                    ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = HostAndPort }),
                };
            case ["apis"]:
                return new JsonObject
                {
                    ["kind"] = "APIGroupList",
                    ["apiVersion"] = "v1",
                    ["groups"] = new JsonArray(all.Where(k => k.Group.Length > 0).GroupBy(k => k.Group).Select(g =>
                    {
                        var versions = g.Select(k => k.Version).Distinct().Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{g.Key}/{v}", ["version"] = v }).ToArray();
                        return (JsonNode)new JsonObject { ["name"] = g.Key, ["versions"] = new JsonArray(versions), ["preferredVersion"] = versions[0].DeepClone() };
                    }).ToArray()),
                };
            case ["apis", var g] when all.Any(k => k.Group == g && g.Length > 0):
                {
                    var versions = all.Where(k => k.Group == g).Select(k => k.Version).Distinct()
                        .Select(v => (JsonNode)new JsonObject { ["groupVersion"] = $"{g}/{v}", ["version"] = v }).ToArray();
                    return new JsonObject { ["kind"] = "APIGroup", ["apiVersion"] = "v1", ["name"] = g, ["versions"] = new JsonArray(versions), ["preferredVersion"] = versions[0].DeepClone() };
                }
            case ["api", var v]:
                return ResourceList("", v, all);
            case ["apis", var g, var v]:
                return ResourceList(g, v, all);
            default:
                return null;
        }
    }

    private static JsonObject? ResourceList(string group, string version, IReadOnlyList<ResourceKind> all)
    {
        var served = all.Where(k => k.Group == group && k.Version == version).ToList();
        if (served.Count == 0) return null;
        var resources = new JsonArray();
        foreach (var k in served)
        {
            resources.Add(new JsonObject
            {
                ["name"] = k.Plural, ["singularName"] = k.Kind.ToLowerInvariant(), ["namespaced"] = k.Namespaced, ["kind"] = k.Kind,
                ["verbs"] = new JsonArray("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"),
            });
            if (k.HasStatus)
                resources.Add(new JsonObject { ["name"] = $"{k.Plural}/status", ["singularName"] = "", ["namespaced"] = k.Namespaced, ["kind"] = k.Kind, ["verbs"] = new JsonArray("get", "patch", "update") });
            if (k is PodStrategy)
                resources.Add(new JsonObject { ["name"] = "pods/binding", ["singularName"] = "", ["namespaced"] = true, ["kind"] = "Binding", ["verbs"] = new JsonArray("create") });
        }
        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}", ["resources"] = resources };
    }
}
