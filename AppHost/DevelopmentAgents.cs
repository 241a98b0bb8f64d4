namespace WarmTransfer.AppHost;

/// <summary>
/// The development agents, whose passwords the README gives (<c>agent1-dev-password</c> …): the portal's directory has them only
/// when the emulator stands in for Twilio. Against a real account the directory holds only the agents configured for it.
/// </summary>
public static class DevelopmentAgents
{
    private static readonly (string Id, string DisplayName, string PasswordHash, string Role)[] Agents =
    [
        ("agent1", "Alice Agent", "pbkdf2-sha256$600000$6Be9Hyq0AZIrxYYntKG2jg==$RsMBFg7bIrldptuoPunjpBzbA2+9bJlIgvGWZYUvVeg=", "Agent"),
        ("agent2", "Bob Agent", "pbkdf2-sha256$600000$dAMH0z9b226fshyEMKJdrQ==$bemnO4hFCfPSvymUoTHz6rSHt55OQtSFfdx1ZFwQoHM=", "Agent"),
        ("agent3", "Carol Agent", "pbkdf2-sha256$600000$8UEM7IQ5vfVgFbXSZNWQyA==$Pp6VRf24N3HX2SADKaDEY1yj2VAJGbmT/xaTFEIBh/8=", "Agent"),
        ("super1", "Sam Supervisor", "pbkdf2-sha256$600000$a266Ay4WXekspitBE6Mh3Q==$pKFDsyk0enc/44vA6mcj7asbcMnNdQnc9iEWE8SgS/M=", "Supervisor"),
    ];

    /// <summary>The first entries of the portal's directory: <c>Agents:Directory:0</c> to <c>:3</c> (the last a supervisor).</summary>
    public static IResourceBuilder<ProjectResource> WithDevelopmentAgents(this IResourceBuilder<ProjectResource> portal) =>
        portal.WithEnvironment(context =>
        {
            for (var entry = 0; entry < Agents.Length; entry++)
            {
                context.EnvironmentVariables[$"Agents__Directory__{entry}__Id"] = Agents[entry].Id;
                context.EnvironmentVariables[$"Agents__Directory__{entry}__DisplayName"] = Agents[entry].DisplayName;
                context.EnvironmentVariables[$"Agents__Directory__{entry}__PasswordHash"] = Agents[entry].PasswordHash;
                context.EnvironmentVariables[$"Agents__Directory__{entry}__Role"] = Agents[entry].Role;
            }
        });
}
