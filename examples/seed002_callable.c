/* seed002_callable.c: an object (a struct with a function pointer and state) as the
 * thread's target.
 *
 * Seed: 002_661bf8df3acfe042.txt, "3 Using Methods as Callbacks".
 *
 * Python original:
 *     class MyClass:
 *         def __call__(self, name):
 *             for i in range (1, 50):
 *                 sys.stdout.write(name)
 *                 time.sleep(random.random() * 0.1)
 *     m1 = MyClass(); m2 = MyClass(); m3 = MyClass()
 *     t1 = Thread(target = m1, args = ("1",))          # and t2, t3
 *     t1.start(); ...; t1.join(); ...
 *
 * C's version of a callable object: a struct whose first member is the function to
 * call, with the object's own state beside it. The thread target is a trampoline
 * that "calls the object": obj->call(obj, name).
 */
#include "demo.h"

typedef struct my_class my_class;
struct my_class {
    void (*call)(my_class *self, const char *name);   /* __call__ */
    int written;                                      /* the object's state */
};

static void my_class_call(my_class *self, const char *name)
{
    for (int i = 1; i < 50; i++) {
        fputs(name, stdout);
        fflush(stdout);
        self->written++;
        demo_sleep(demo_random() * 0.1);
    }
}

/* Python's Thread(target=obj, args=(name,)) */
typedef struct call_args {
    my_class *target;
    const char *name;
} call_args;

static void *call_object(void *arg)
{
    call_args *a = arg;
    a->target->call(a->target, a->name);
    return NULL;
}

int main(void)
{
    my_class m[3] = {{my_class_call, 0}, {my_class_call, 0}, {my_class_call, 0}};
    call_args args[3] = {{&m[0], "1"}, {&m[1], "2"}, {&m[2], "3"}};
    weft_thread *t[3];
    for (int i = 0; i < 3; i++)
        CHECK(weft_thread_create(&t[i], call_object, &args[i], NULL));
    for (int i = 0; i < 3; i++)
        CHECK(weft_thread_start(t[i]));
    for (int i = 0; i < 3; i++) {
        CHECK(weft_thread_join(t[i], WEFT_FOREVER));
        weft_thread_destroy(t[i]);
    }
    say("\nEnd of main\n");
    for (int i = 0; i < 3; i++)    /* join made each object's state visible to main */
        say("m%d wrote %d characters\n", i + 1, m[i].written);
    return 0;
}
