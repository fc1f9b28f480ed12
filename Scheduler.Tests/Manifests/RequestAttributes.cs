namespace Quorum.Tests.Manifests;

/// <summary>
/// What RBAC sees of a request: the attributes kube-apiserver's RequestInfoFactory
/// (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go) derives from method, path and query.
/// Written from that resolver, not from the API stand-in's router, so the two check each other.
/// </summary>
internal sealed record RequestAttributes(
    bool IsResourceRequest, string Verb, string ApiGroup, string Resource, string Subresource, string Namespace, string Name, string Path)
{
    private static readonly HashSet<string> ApiPrefixes = ["api", "apis"];
    private static readonly HashSet<string> GrouplessApiPrefixes = ["api"];
    private static readonly HashSet<string> SpecialVerbs = ["proxy", "watch"];
    private static readonly HashSet<string> SpecialVerbsNoSubresources = ["proxy"];
    private static readonly HashSet<string> NamespaceSubresources = ["status", "finalize"];

    /// <summary>"pods/binding" for a subresource, as RBAC rules name it.</summary>
    public string CombinedResource => Subresource.Length == 0 ? Resource : $"{Resource}/{Subresource}";

    public override string ToString() => IsResourceRequest
        ? $"{Verb} {(ApiGroup.Length == 0 ? "core" : ApiGroup)}/{CombinedResource}{(Name.Length > 0 ? " " + Name : "")}{(Namespace.Length > 0 ? " in " + Namespace : "")}"
        : $"{Verb} {Path}";

    public static RequestAttributes Resolve(string method, string path, string query)
    {
        var nonResource = new RequestAttributes(false, method.ToLowerInvariant(), "", "", "", "", "", path);
        var trimmed = path.Trim('/');
        var parts = trimmed.Length == 0 ? [] : trimmed.Split('/');
        if (parts.Length < 3 || !ApiPrefixes.Contains(parts[0])) return nonResource;
        var prefix = parts[0];
        parts = parts[1..];
        var group = "";
        if (!GrouplessApiPrefixes.Contains(prefix))
        {
            if (parts.Length < 3) return nonResource;
            group = parts[0];
            parts = parts[1..];
        }
        parts = parts[1..]; // the version

        string verb;
        if (SpecialVerbs.Contains(parts[0]))
        {
            if (parts.Length < 2) throw new ArgumentException($"unable to determine kind and namespace from url {path}");
            verb = parts[0];
            parts = parts[1..];
        }
        else
        {
            verb = method switch
            {
                "POST" => "create",
                "GET" or "HEAD" => "get",
                "PUT" => "update",
                "PATCH" => "patch",
                "DELETE" => "delete",
                _ => "",
            };
        }

        var ns = "";
        if (parts[0] == "namespaces")
        {
            if (parts.Length > 1)
            {
                ns = parts[1];
                // namespaces/{ns}/{resource}/..., unless what follows is the namespace's own subresource.
                if (parts.Length > 2 && !NamespaceSubresources.Contains(parts[2])) parts = parts[2..];
            }
        }

        string resource = "", name = "", subresource = "";
        if (parts.Length >= 3 && !SpecialVerbsNoSubresources.Contains(verb)) subresource = parts[2];
        if (parts.Length >= 2) name = parts[1];
        if (parts.Length >= 1) resource = parts[0];

        var q = Query(query);
        if (name.Length == 0 && verb == "get")
        {
            verb = q.TryGetValue("watch", out var w) && IsTrue(w) ? "watch" : "list";
            // A list or watch narrowed to one object by metadata.name counts as a request for that name.
            if (q.TryGetValue("fieldSelector", out var selector) && ExactName(selector) is { } n && IsValidPathSegmentName(n)) name = n;
        }
        if (name.Length == 0 && verb == "delete") verb = "deletecollection";
        return new RequestAttributes(true, verb, group, resource, subresource, ns, name, path);
    }

    /// <summary>metav1's conversion of a query flag: absent, "0" and "false" (any case) are false; anything else true.</summary>
    private static bool IsTrue(string value) => !(value == "0" || string.Equals(value, "false", StringComparison.OrdinalIgnoreCase));

    /// <summary>fields.Selector.RequiresExactMatch("metadata.name"): a term <c>metadata.name=x</c> or <c>==x</c>.</summary>
    private static string? ExactName(string selector)
    {
        foreach (var term in selector.Split(','))
        {
            foreach (var op in new[] { "==", "=" })
            {
                var i = term.IndexOf(op, StringComparison.Ordinal);
                if (i < 0) continue;
                if (term[..i].Trim() == "metadata.name") return term[(i + op.Length)..].Trim();
                break;
            }
        }
        return null;
    }

    private static bool IsValidPathSegmentName(string name) =>
        name is not ("." or "..") && !name.Contains('/') && !name.Contains('%');

    private static Dictionary<string, string> Query(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0].Replace('+', ' '));
            // The first value wins, as url.Values.Get and metav1's parameter codec take it.
            result.TryAdd(key, kv.Length > 1 ? Uri.UnescapeDataString(kv[1].Replace('+', ' ')) : "");
        }
        return result;
    }
}
