/** Target versions, negotiation, table and status lines. */
package dev.snapstore.dm;
