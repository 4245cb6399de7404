/* A tiny Modbus TCP server built on libmodbus, as an independent peer for the
 * adapter's interop test. Usage: libmodbus_server PORT
 *
 * Holding registers 0-1: 3.14159 as float32, high word first (its bits through
 * MODBUS_SET_INT32_TO_INT16); 2-3: 3.14159 by modbus_set_float (low word first);
 * 8-9: 3000000123 as uint32, high word first;
 * 10: -1234 as int16. Input registers 0-3: 100, 200, 300, 400.
 * Discrete inputs 0-7: 1 0 1 1 0 0 0 1. Unit id 1.
 */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PORT\n", argv[0]);
        return 2;
    }
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", atoi(argv[1]));
    modbus_mapping_t *map = modbus_mapping_new(16, 16, 32, 16);
    if (ctx == NULL || map == NULL) {
        fprintf(stderr, "setup failed: %s\n", modbus_strerror(errno));
        return 1;
    }
    modbus_set_slave(ctx, 1);
    float pi = 3.14159f;
    uint32_t pi_bits;
    memcpy(&pi_bits, &pi, sizeof pi_bits);
    MODBUS_SET_INT32_TO_INT16(map->tab_registers, 0, pi_bits);
    modbus_set_float(pi, map->tab_registers + 2);
    uint32_t big = 3000000123u;
    MODBUS_SET_INT32_TO_INT16(map->tab_registers, 8, big);
    map->tab_registers[10] = (uint16_t)(int16_t)-1234;
    for (int i = 0; i < 4; i++) map->tab_input_registers[i] = (uint16_t)(100 * (i + 1));
    const uint8_t bits[8] = {1, 0, 1, 1, 0, 0, 0, 1};
    for (int i = 0; i < 8; i++) map->tab_input_bits[i] = bits[i];

    int listener = modbus_tcp_listen(ctx, 4);
    if (listener < 0) {
        fprintf(stderr, "listen failed: %s\n", modbus_strerror(errno));
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        if (modbus_tcp_accept(ctx, &listener) < 0) break;
        uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
        for (;;) {
            int length = modbus_receive(ctx, query);
            if (length == 0) continue;
            if (length < 0) break;
            modbus_reply(ctx, query, length, map);
        }
        close(modbus_get_socket(ctx));
    }
    modbus_mapping_free(map);
    modbus_free(ctx);
    return 0;
}
