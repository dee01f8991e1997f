/* inet-tcp-conn under the nftables lock (see test/cr/lists/inet.list):
 * IPv4, IPv6 and v4-mapped connections locked through one nft table. */
#include "inet-tcp-conn.c"
