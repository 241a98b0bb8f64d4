using WarmTransfer.CallCenter.Messaging;

namespace WarmTransfer.CallCenter.Tests;

/// <summary>The RabbitMQ nodes a connection string names: one, or every node of a cluster.</summary>
public sealed class BrokerNodesTests
{
    [Fact]
    public void One_uri_is_one_node_with_its_credentials()
    {
        var nodes = BrokerNodes.Parse("amqp://worker:secret@rabbit.example:5673/calls")!;

        Assert.Equal("amqp://worker:secret@rabbit.example:5673/calls", nodes.First.ToString());
        var node = Assert.Single(nodes.Endpoints);
        Assert.Equal(("rabbit.example", 5673, false), (node.HostName, node.Port, node.Ssl.Enabled));
    }

    [Fact]
    public void Uris_separated_by_commas_are_every_node_of_a_cluster_in_order()
    {
        var nodes = BrokerNodes.Parse("amqp://u:p@127.0.0.1:5001, amqp://u:p@127.0.0.1:5002,amqp://u:p@127.0.0.1:5003")!;

        Assert.Equal([5001, 5002, 5003], nodes.Endpoints.Select(node => node.Port));
        Assert.Equal(5001, nodes.First.Port);
    }

    [Fact]
    public void An_amqps_uri_without_a_port_is_tls_on_the_tls_port()
    {
        var node = Assert.Single(BrokerNodes.Parse("amqps://u:p@rabbit.example")!.Endpoints);

        Assert.Equal(("rabbit.example", 5671, true, "rabbit.example"), (node.HostName, node.Port, node.Ssl.Enabled, node.Ssl.ServerName));
    }

    [Fact]
    public void Each_tls_node_takes_the_tls_settings_configured_on_the_client_with_its_own_server_name()
    {
        var configured = new RabbitMQ.Client.SslOption("ignored", "/etc/ssl/client.pfx", enabled: true)
        {
            Version = System.Security.Authentication.SslProtocols.Tls13,
            CertPassphrase = "pfx-passphrase",
        };

        var nodes = BrokerNodes.Parse("amqps://u:p@node1.example,amqps://u:p@node2.example:5999,amqp://u:p@node3.example")!.EndpointsWith(configured);

        Assert.Equal([("node1.example", true), ("node2.example", true), (null, false)],
            nodes.Select(node => (node.Ssl.Enabled ? node.Ssl.ServerName : null, node.Ssl.Enabled)));
        Assert.All(nodes.Take(2), node => Assert.Equal(("/etc/ssl/client.pfx", "pfx-passphrase", System.Security.Authentication.SslProtocols.Tls13),
            (node.Ssl.CertPath, node.Ssl.CertPassphrase, node.Ssl.Version)));
        Assert.Equal(5999, nodes[1].Port);
    }

    [Fact]
    public void No_connection_string_is_no_nodes() => Assert.Null(BrokerNodes.Parse(" "));

    [Fact]
    public void A_part_that_is_not_an_amqp_uri_is_refused_without_showing_its_password()
    {
        var error = Assert.Throws<FormatException>(() => BrokerNodes.Parse("amqp://u:p@host1:5672,http://u:hunter2@host2:5672"));

        Assert.Contains("@host2:5672", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }
}
