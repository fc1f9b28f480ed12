namespace Quorum.Tests.ApiServer;

/// <summary>Where a resource request points: kind, namespace, object name, subresource.</summary>
internal sealed record ApiTarget(ResourceKind Kind, string? Namespace, string? Name, string? Subresource, bool WatchPath)
{
    public bool IsCollection => Name is null;
}

/// <summary>
/// Parses request paths the way the API server's installer lays them out:
/// <c>/api/v1/[namespaces/{ns}/]{plural}[/{name}[/{subresource}]]</c> and the same under
/// <c>/apis/{group}/{version}</c>, plus the deprecated <c>/watch/</c> prefix. Namespaced kinds listed
/// without a namespace span all namespaces; a name needs its namespace; cluster-scoped kinds have none.
/// </summary>
internal static class RequestRouter
{
    public static bool TryParse(string path, ResourceKinds kinds, out ApiTarget? target)
    {
        target = null;
        var segments = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.UnescapeDataString).ToArray();
        string group, version;
        int rest;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            (group, version, rest) = ("", segments[1], 2);
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], 3);
        }
        else
        {
            return false;
        }
        var parts = segments[rest..];
        var watch = false;
        if (parts.Length > 0 && parts[0] == "watch")
        {
            watch = true;
            parts = parts[1..];
        }
        if (parts.Length == 0) return false;

        // namespaces/{ns}/{plural}/... unless the third segment is a namespace subresource (status, finalize).
        if (parts.Length >= 3 && parts[0] == "namespaces" && kinds.Find(group, version, parts[2]) is { Namespaced: true } nsKind)
        {
            if (parts.Length > 5) return false;
            target = new ApiTarget(nsKind, parts[1], parts.ElementAtOrDefault(3), parts.ElementAtOrDefault(4), watch);
            return true;
        }
        if (parts.Length > 3) return false;
        var kind = kinds.Find(group, version, parts[0]);
        if (kind is null) return false;
        var name = parts.ElementAtOrDefault(1);
        // A namespaced object can only be addressed inside its namespace.
        if (kind.Namespaced && name is not null) return false;
        target = new ApiTarget(kind, null, name, parts.ElementAtOrDefault(2), watch);
        return true;
    }

    /// <summary>The audit verb of a request (get, list, watch, create, update, patch, delete, deletecollection).</summary>
    public static string Verb(string method, ApiTarget? target, bool watchParam) => method switch
    {
        "GET" when target is { IsCollection: true } && (watchParam || target.WatchPath) => "watch",
        "GET" when target is { IsCollection: false, WatchPath: true } => "watch",
        "GET" when target is { IsCollection: true } => "list",
        "GET" => "get",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" when target is { IsCollection: true } => "deletecollection",
        "DELETE" => "delete",
        _ => method.ToLowerInvariant(),
    };
}
