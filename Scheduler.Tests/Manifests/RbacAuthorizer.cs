using k8s;
using k8s.Models;

namespace Quorum.Tests.Manifests;

/// <summary>An authenticated caller as RBAC sees it: a user name and groups.</summary>
internal sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    /// <summary>What the API server's token authenticator makes of a ServiceAccount token.</summary>
    public static UserInfo ServiceAccount(string ns, string name) =>
        new($"system:serviceaccount:{ns}:{name}", ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"]);
}

/// <summary>One rule of one role that allowed a request.</summary>
internal sealed record Grant(string Role, V1PolicyRule Rule);

/// <summary>
/// Kubernetes' RBAC authorizer (plugin/pkg/auth/authorizer/rbac) over a fixed set of roles and
/// bindings: ClusterRoleBindings grant their ClusterRole everywhere, RoleBindings grant their Role or
/// ClusterRole inside the binding's namespace only; a rule matches on verb, API group, resource
/// (with <c>resource/subresource</c> and <c>*/subresource</c>), and resourceNames when it lists any.
/// Anything no rule allows is denied. Aggregated ClusterRoles are refused rather than guessed.
/// </summary>
internal sealed class RbacAuthorizer
{
    private readonly Dictionary<string, V1ClusterRole> _clusterRoles;
    private readonly Dictionary<(string Namespace, string Name), V1Role> _roles;
    private readonly List<V1ClusterRoleBinding> _clusterRoleBindings;
    private readonly List<V1RoleBinding> _roleBindings;

    public RbacAuthorizer(IEnumerable<IKubernetesObject<V1ObjectMeta>> objects)
    {
        var all = objects.ToList();
        _clusterRoles = all.OfType<V1ClusterRole>().ToDictionary(r => r.Metadata.Name, StringComparer.Ordinal);
        _roles = all.OfType<V1Role>().ToDictionary(r => (r.Metadata.NamespaceProperty ?? "default", r.Metadata.Name));
        _clusterRoleBindings = all.OfType<V1ClusterRoleBinding>().ToList();
        _roleBindings = all.OfType<V1RoleBinding>().ToList();
        if (_clusterRoles.Values.FirstOrDefault(r => r.AggregationRule is not null) is { } aggregated)
            throw new NotSupportedException($"ClusterRole {aggregated.Metadata.Name} is aggregated; its rules depend on the cluster");
    }

    public static string ClusterRoleKey(string name) => $"ClusterRole {name}";

    public static string RoleKey(string ns, string name) => $"Role {ns}/{name}";

    /// <summary>Every rule that allows the request (none: denied).</summary>
    public IReadOnlyList<Grant> Allowing(UserInfo user, RequestAttributes request)
    {
        var grants = new List<Grant>();
        foreach (var (role, rules) in RulesFor(user, request.Namespace))
            grants.AddRange(rules.Where(r => Allows(r, request)).Select(r => new Grant(role, r)));
        return grants;
    }

    public bool IsAllowed(UserInfo user, RequestAttributes request) => Allowing(user, request).Count > 0;

    /// <summary>The roles bound to the user, with their rules: what the user may do in a namespace ("" = cluster scope only).</summary>
    public IEnumerable<(string Role, IList<V1PolicyRule> Rules)> RulesFor(UserInfo user, string ns)
    {
        foreach (var b in _clusterRoleBindings)
        {
            if (!(b.Subjects ?? []).Any(s => AppliesTo(user, s, ""))) continue;
            if (b.RoleRef.Kind == "ClusterRole" && _clusterRoles.TryGetValue(b.RoleRef.Name, out var cr))
                yield return (ClusterRoleKey(cr.Metadata.Name), cr.Rules ?? []);
        }
        if (ns.Length == 0) yield break;
        foreach (var b in _roleBindings.Where(b => b.Metadata.NamespaceProperty == ns))
        {
            if (!(b.Subjects ?? []).Any(s => AppliesTo(user, s, ns))) continue;
            if (b.RoleRef.Kind == "ClusterRole" && _clusterRoles.TryGetValue(b.RoleRef.Name, out var cr))
                yield return (ClusterRoleKey(cr.Metadata.Name), cr.Rules ?? []);
            else if (b.RoleRef.Kind == "Role" && _roles.TryGetValue((ns, b.RoleRef.Name), out var r))
                yield return (RoleKey(ns, r.Metadata.Name), r.Rules ?? []);
        }
    }

    /// <summary>
    /// A rule as the single permissions it grants (API group, resource, verb, name; "" when the rule
    /// names none), so a test can ask which of them were ever used. Wildcards stay as written.
    /// </summary>
    public static IEnumerable<(string ApiGroup, string Resource, string Verb, string Name)> Permissions(V1PolicyRule rule) =>
        from g in rule.ApiGroups ?? []
        from r in rule.Resources ?? []
        from v in rule.Verbs
        from n in rule.ResourceNames is { Count: > 0 } names ? names : [""]
        select (g, r, v, n);

    private static bool AppliesTo(UserInfo user, Rbacv1Subject subject, string bindingNamespace) => subject.Kind switch
    {
        "User" => user.Name == subject.Name,
        "Group" => user.Groups.Contains(subject.Name),
        // A RoleBinding may name a ServiceAccount of its own namespace without saying which.
        "ServiceAccount" => (string.IsNullOrEmpty(subject.NamespaceProperty) ? bindingNamespace : subject.NamespaceProperty) is { Length: > 0 } saNamespace
            && user.Name == $"system:serviceaccount:{saNamespace}:{subject.Name}",
        _ => false,
    };

    private static bool Allows(V1PolicyRule rule, RequestAttributes request) => request.IsResourceRequest
        ? VerbMatches(rule, request.Verb) && ApiGroupMatches(rule, request.ApiGroup)
            && ResourceMatches(rule, request.CombinedResource, request.Subresource) && ResourceNameMatches(rule, request.Name)
        : VerbMatches(rule, request.Verb) && NonResourceUrlMatches(rule, request.Path);

    private static bool VerbMatches(V1PolicyRule rule, string verb) => rule.Verbs.Any(v => v == "*" || v == verb);

    private static bool ApiGroupMatches(V1PolicyRule rule, string group) => (rule.ApiGroups ?? []).Any(g => g == "*" || g == group);

    private static bool ResourceMatches(V1PolicyRule rule, string combined, string subresource) => (rule.Resources ?? []).Any(r =>
        r == "*" || r == combined
        || (subresource.Length > 0 && r.Length == subresource.Length + 2 && r.StartsWith("*/", StringComparison.Ordinal) && r.EndsWith(subresource, StringComparison.Ordinal)));

    private static bool ResourceNameMatches(V1PolicyRule rule, string name) => rule.ResourceNames is not { Count: > 0 } names || names.Contains(name);

    private static bool NonResourceUrlMatches(V1PolicyRule rule, string path) => (rule.NonResourceURLs ?? []).Any(u =>
        u == "*" || u == path || (u.EndsWith('*') && path.StartsWith(u[..^1], StringComparison.Ordinal)));
}
